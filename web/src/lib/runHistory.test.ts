import { describe, expect, it } from "vitest";
import { countsText, durationText, modeText, queueLabel, whenText } from "./runHistory";

describe("run history wording", () => {
  it("names the mode with the node's title", () => {
    const titles: Record<string, string> = { r: "Resize" };
    expect(modeText("full", null, (id) => titles[id])).toBe("Whole workflow");
    expect(modeText("from_node", "r", (id) => titles[id])).toBe("From “Resize”");
    expect(modeText("node", "gone", (id) => titles[id])).toBe("Only “gone”");
  });
  it("words durations at every scale", () => {
    expect(durationText(null)).toBe("—");
    expect(durationText(0.42)).toBe("0.4 s");
    expect(durationText(12.4)).toBe("12 s");
    expect(durationText(185)).toBe("3 min 5 s");
    expect(durationText(3720)).toBe("1 h 2 min");
  });
  it("counts what ran first", () => {
    expect(countsText({ cached: 2, succeeded: 3, failed: 1 })).toBe("3 ran, 2 cached, 1 failed");
    expect(countsText({})).toBe("nothing ran");
  });
  it("says when, relative then absolute", () => {
    expect(whenText(1000, 1010)).toBe("just now");
    expect(whenText(1000, 1000 + 300)).toBe("5 min ago");
    expect(whenText(1000, 1000 + 7200)).toBe("2 h ago");
    expect(whenText(0, 200000)).toMatch(/^19(69|70)-\d\d-\d\d \d\d:\d\d$/);
  });
  it("labels the queue only when something waits", () => {
    expect(queueLabel(0)).toBeNull();
    expect(queueLabel(2)).toBe("queued (2)");
  });
});
