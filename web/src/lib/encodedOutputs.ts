/** Text outputs that are really files (a MIDI file as base64): recognised so the canvas shows a chip, not a wall. */

export interface EncodedFile {
  mime: string;
  ext: string;
  label: string;
  bytes: number;
}

const MAGIC: { prefix: string; mime: string; ext: string; label: string }[] = [
  { prefix: "TVRoZA", mime: "audio/midi", ext: "mid", label: "MIDI file" }, // "MThd"
  { prefix: "JVBERi0", mime: "application/pdf", ext: "pdf", label: "PDF" }, // "%PDF-"
  { prefix: "UEsDB", mime: "application/zip", ext: "zip", label: "Zip archive" }, // "PK\x03\x04"
];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What a base64 text output holds, by its first bytes; null for ordinary text. */
export function encodedFile(text: string): EncodedFile | null {
  if (text.length < 16 || !BASE64.test(text.slice(0, 4096))) return null;
  const magic = MAGIC.find((m) => text.startsWith(m.prefix));
  if (!magic && text.length < 512) return null; // short words and ids stay text
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const bytes = Math.floor((text.length * 3) / 4) - padding;
  return magic ? { mime: magic.mime, ext: magic.ext, label: magic.label, bytes } : { mime: "application/octet-stream", ext: "bin", label: "Binary data", bytes };
}

export function decodeBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
