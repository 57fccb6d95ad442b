import { describe, expect, it } from "vitest";
import { decodeBase64, encodedFile, sizeText } from "./encodedOutputs";

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

describe("encodedFile", () => {
  it("recognises a MIDI file given as base64", () => {
    const midi = b64([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0, 2, 1, 0xe0, ...Array(40).fill(0)]);
    const found = encodedFile(midi);
    expect(found?.label).toBe("MIDI file");
    expect(found?.ext).toBe("mid");
    expect(found?.bytes).toBe(54);
    expect(Array.from(decodeBase64(midi).slice(0, 4))).toEqual([0x4d, 0x54, 0x68, 0x64]);
  });
  it("leaves ordinary text alone", () => {
    expect(encodedFile("A misty pine forest at dawn")).toBeNull();
    expect(encodedFile("rain,film_grain")).toBeNull();
    expect(encodedFile("abcdefghijklmnopqrstuvwxyz")).toBeNull();
  });
  it("sizes in readable units", () => {
    expect(sizeText(900)).toBe("900 B");
    expect(sizeText(3277)).toBe("3.2 KB");
  });
});
