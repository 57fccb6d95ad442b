import { describe, expect, it } from "vitest";
import { answerText, deliverySummary, stillSending, untilText } from "./webhooksApi";

describe("webhook delivery log words", () => {
  it("names the receiver's answer", () => {
    expect(answerText(null, 0)).toBe("not tried yet");
    expect(answerText(null, 2)).toBe("no answer");
    expect(answerText(503, 1)).toBe("HTTP 503");
  });
  it("says when the next retry is due, for pending deliveries only", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const pending = { status: "pending", status_code: 500, attempts: 1, next_retry_at: "2026-01-01T00:05:00Z" };
    expect(deliverySummary(pending, now)).toBe("pending · HTTP 500 · 1 attempt · next retry in 5 min");
    expect(deliverySummary({ ...pending, status: "delivered", status_code: 200, attempts: 3, next_retry_at: null }, now)).toBe(
      "delivered · HTTP 200 · 3 attempts",
    );
  });
  it("rounds waits to a readable unit", () => {
    expect(untilText(-5)).toBe("now");
    expect(untilText(42_000)).toBe("in 42 s");
    expect(untilText(3 * 3600_000)).toBe("in 3 h");
    expect(untilText(2 * 86400_000)).toBe("in 2 d");
  });
  it("polls while a delivery is on its way", () => {
    expect(stillSending([{ status: "delivered" }, { status: "sending" }])).toBe(true);
    expect(stillSending([{ status: "failed" }, { status: "disabled" }])).toBe(false);
  });
});
