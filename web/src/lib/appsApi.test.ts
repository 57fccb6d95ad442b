import { describe, expect, it } from "vitest";
import { inputTypeFor } from "./appsApi";
import type { FormField } from "./schemaForm";

const field = (kind: FormField["kind"]): FormField => ({ name: "f", label: "F", kind, required: false, nullable: false, integer: false });

describe("inputTypeFor", () => {
  it("maps parameter widgets to app input types", () => {
    expect(inputTypeFor(field("select"))).toBe("select");
    expect(inputTypeFor(field("slider"))).toBe("number");
    expect(inputTypeFor(field("seed"))).toBe("number");
    expect(inputTypeFor(field("textarea"))).toBe("text");
    expect(inputTypeFor(field("color"))).toBe("text");
  });
  it("leaves out what a caller cannot send as one value", () => {
    for (const kind of ["checkbox", "media", "json", "loop-table"] as const) expect(inputTypeFor(field(kind))).toBeNull();
  });
});
