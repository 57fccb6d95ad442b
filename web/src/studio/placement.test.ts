import { describe, expect, it } from "vitest";
import { freeSpot, spreadOverlaps } from "./placement";

describe("freeSpot", () => {
  it("keeps the wanted spot when it is free", () => {
    expect(freeSpot({ x: 0, y: 0 }, [{ position: { x: 30, y: 0 } }])).toEqual({ x: 0, y: 0 });
  });
  it("steps diagonally past nodes starting near it", () => {
    const taken = [{ position: { x: 0, y: 0 } }, { position: { x: 40, y: 30 } }];
    expect(freeSpot({ x: 5, y: 5 }, taken)).toEqual({ x: 77, y: 77 });
  });
});

describe("spreadOverlaps", () => {
  it("moves a box that meets an earlier one below it, and leaves the others", () => {
    const boxes = [
      { id: "prompt", x: 0, y: -220, width: 264, height: 300 },
      { id: "upload", x: 0, y: 0, width: 300, height: 260 },
      { id: "model", x: 320, y: 0, width: 264, height: 280 },
    ];
    expect(spreadOverlaps(boxes)).toEqual(new Map([["upload", { x: 0, y: 104 }]]));
  });

  it("leaves a layout without overlaps alone, and moves stacked boxes one below the other", () => {
    expect(spreadOverlaps([{ id: "a", x: 0, y: 0, width: 100, height: 100 }, { id: "b", x: 200, y: 0, width: 100, height: 100 }]).size).toBe(0);
    const stacked = spreadOverlaps(["a", "b", "c"].map((id) => ({ id, x: 0, y: 0, width: 100, height: 100 })));
    expect([...stacked.values()]).toEqual([{ x: 0, y: 124 }, { x: 0, y: 248 }]);
  });
});
