import { describe, expect, it } from "vitest";
import { freeSpot } from "./placement";

describe("freeSpot", () => {
  it("keeps the wanted spot when it is free", () => {
    expect(freeSpot({ x: 0, y: 0 }, [{ position: { x: 30, y: 0 } }])).toEqual({ x: 0, y: 0 });
  });
  it("steps diagonally past nodes starting near it", () => {
    const taken = [{ position: { x: 0, y: 0 } }, { position: { x: 40, y: 30 } }];
    expect(freeSpot({ x: 5, y: 5 }, taken)).toEqual({ x: 77, y: 77 });
  });
});
