import { describe, expect, it } from "vitest";
import { groupFrame, membershipAfterDrag } from "./grouping";

describe("groupFrame", () => {
  it("surrounds the members with a margin and a title band", () => {
    const frame = groupFrame([
      { at: { x: 100, y: 100 }, width: 200, height: 100 },
      { at: { x: 400, y: 250 }, width: 100, height: 50 },
    ]);
    expect(frame).toEqual({ position: { x: 72, y: 48 }, width: 456, height: 280 });
  });
});

describe("membershipAfterDrag", () => {
  const frame = { id: "g", at: { x: 0, y: 0 }, width: 400, height: 300 };
  it("a node dropped with its centre in a group joins it, relative to the group", () => {
    const updates = membershipAfterDrag([{ id: "n", at: { x: 150, y: 100 }, width: 100, height: 50 }], [{ ...frame, at: { x: 100, y: 50 } }]);
    expect(updates.get("n")).toEqual({ parentId: "g", position: { x: 50, y: 50 } });
  });
  it("a member dragged out of every group leaves at its absolute position", () => {
    const updates = membershipAfterDrag([{ id: "n", parentId: "g", at: { x: 900, y: 900 }, width: 100, height: 50 }], [frame]);
    expect(updates.get("n")).toEqual({ parentId: undefined, position: { x: 900, y: 900 } });
  });
  it("answers nothing when membership does not change (or for the group itself)", () => {
    expect(membershipAfterDrag([{ id: "n", parentId: "g", at: { x: 10, y: 10 }, width: 100, height: 50 }], [frame]).size).toBe(0);
    expect(membershipAfterDrag([{ id: "n", at: { x: 900, y: 900 }, width: 100, height: 50 }], [frame]).size).toBe(0);
    expect(membershipAfterDrag([{ ...frame }], [frame]).size).toBe(0);
  });
});
