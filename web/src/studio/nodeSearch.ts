import type { NodeSpec } from "../lib/types";

/** How well a node matches a search, best first: the title outranks tags, tags outrank the description. */
enum Match {
  ExactTitle,
  TitlePrefix,
  TitleWordStarts,
  InTitle,
  TagOrType,
  Elsewhere,
}

const wordsOf = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

function rank(spec: NodeSpec, q: string, words: string[]): Match | null {
  const title = spec.title.toLowerCase();
  const tags = [...(spec.tags ?? []), spec.type, spec.category].join(" ").toLowerCase();
  const hay = `${title} ${tags} ${spec.description.toLowerCase()}`;
  if (!words.every((w) => hay.includes(w))) return null;
  if (title === q) return Match.ExactTitle;
  if (title.startsWith(q)) return Match.TitlePrefix;
  const titleWords = wordsOf(title);
  if (words.every((w) => titleWords.some((t) => t.startsWith(w)))) return Match.TitleWordStarts;
  if (words.every((w) => title.includes(w))) return Match.InTitle;
  const tagWords = [...titleWords, ...wordsOf(tags)];
  if (words.every((w) => tagWords.some((t) => t.startsWith(w)))) return Match.TagOrType;
  return Match.Elsewhere;
}

/** The nodes matching every word of `query`, ranked: exact and prefix title matches first, then title words,
 * then tags and type, then the description. An empty query keeps the given order. */
export function searchSpecs(specs: NodeSpec[], query: string): NodeSpec[] {
  const q = query.trim().toLowerCase();
  const words = q.split(/\s+/).filter(Boolean);
  if (!words.length) return specs;
  const ranked: { spec: NodeSpec; match: Match; index: number }[] = [];
  specs.forEach((spec, index) => {
    const match = rank(spec, q, words);
    if (match !== null) ranked.push({ spec, match, index });
  });
  ranked.sort((a, b) => a.match - b.match || a.spec.title.length - b.spec.title.length || a.index - b.index);
  return ranked.map((r) => r.spec);
}
