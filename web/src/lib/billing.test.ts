import { describe, expect, it } from "vitest";
import { duration, liveElapsed, money } from "./billing";
import { parseLimit } from "./sharing";

describe("billing page arithmetic", () => {
  it("formats minor units as money", () => {
    expect(money(1000, "usd")).toMatch(/10\.00/);
    expect(money(5, "eur")).toMatch(/0\.05/);
  });
  it("formats durations", () => {
    expect(duration(5)).toBe("5 s");
    expect(duration(65)).toBe("1 min 05 s");
    expect(duration(3725)).toBe("1 h 02 min 05 s");
  });
  it("counts elapsed time between polls", () => {
    const s = { active: true, elapsed_seconds: 30 } as never;
    expect(liveElapsed(s, 1000, 3500)).toBe(32.5);
  });
});

describe("credit limits", () => {
  it("accepts empty (no limit) and whole numbers only", () => {
    expect(parseLimit("")).toEqual({ value: null });
    expect(parseLimit(" 25 ")).toEqual({ value: 25 });
    expect("error" in parseLimit("-1")).toBe(true);
    expect("error" in parseLimit("1.5")).toBe(true);
    expect("error" in parseLimit("99999999999999999999")).toBe(true);
  });
});
