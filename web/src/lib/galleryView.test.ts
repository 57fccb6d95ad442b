import { describe, expect, it } from "vitest";
import { batchesOf, dayBound, readableName } from "./galleryView";
import type { MediaGroup, MediaItem } from "./types";

const item = (id: string, run: string | null, origin = "generated") =>
  ({ id, run_id: run, origin, created_at: "2026-12-04T10:00:00Z", filename: `${id}.png` }) as unknown as MediaItem;

describe("gallery view", () => {
  it("groups a session's media by run, uploads apart, newest batch first", () => {
    const g = { session_id: "s", session_name: "S", items: [item("a", "r2"), item("b", "r2"), item("c", null, "upload"), item("d", "r1")] } as MediaGroup;
    const batches = batchesOf(g);
    expect(batches.map((b) => [b.key, b.items.map((i) => i.id)])).toEqual([
      ["run:r2", ["a", "b"]],
      ["uploads", ["c"]],
      ["run:r1", ["d"]],
    ]);
    expect(batches[0].label).toMatch(/^Run · /);
  });
  it("names media readably", () => {
    expect(readableName("Image Generation [seed 3] - 1a2b3c4d.png")).toBe("Image Generation [seed 3]");
    expect(readableName("blur::iteration-2.png")).toBe("blur · iteration-2");
    expect(readableName("my_holiday_photo.jpg")).toBe("my holiday photo");
    expect(readableName(".png")).toBe(".png");
  });
  it("turns a day into the bounds of that local day", () => {
    const from = new Date(dayBound("2026-12-04", false)!);
    const to = new Date(dayBound("2026-12-04", true)!);
    expect(from.getDate()).toBe(4);
    expect(from.getHours()).toBe(0);
    expect(to.getHours()).toBe(23);
    expect(dayBound("", false)).toBeUndefined();
  });
});
