import { describe, expect, it } from "vitest";
import { abilities, roleBadge } from "./roles";

describe("abilities", () => {
  it("grows with the role", () => {
    expect(abilities("viewer")).toEqual({ run: false, edit: false, own: false });
    expect(abilities("runner")).toEqual({ run: true, edit: false, own: false });
    expect(abilities("editor")).toEqual({ run: true, edit: true, own: false });
    expect(abilities("owner")).toEqual({ run: true, edit: true, own: true });
  });
  it("treats a missing role as the owner's own session and an unknown one as nothing", () => {
    expect(abilities(undefined).own).toBe(true);
    expect(abilities("stranger")).toEqual({ run: false, edit: false, own: false });
  });
  it("badges only shared sessions", () => {
    expect(roleBadge("owner")).toBe("");
    expect(roleBadge("runner")).toBe("Runner");
  });
});
