// Fuzzy name matching for the "Perhaps you meant …" hints, as PostgREST 13
// computes them with the Haskell `fuzzyset` 0.2.4 package (a port of
// fuzzyset.js): cosine similarity of 3-grams (then 2-grams) over the
// lower-cased, alphanumeric-only name, the best 50 re-ranked by normalised
// Levenshtein similarity, answers below 0.33 dropped.
//
// Hand-written: the npm `fuzzyset` package (the JavaScript original) is
// published under a licence that is not open source since 1.0.6, and its
// 0.0.x line is unmaintained; this is the ~80 lines of the algorithm.

const GRAM_SIZES = [3, 2];
const MIN_SCORE = 0.33;
const LEVENSHTEIN_CANDIDATES = 50;

interface Item {
  key: string;
  magnitude: number;
}

/** The name as the n-gram step sees it: lower-case letters, digits, spaces and commas, wrapped in dashes. */
function normalized(value: string): string {
  return `-${[...value.toLowerCase()].filter((ch) => /[\p{L}\p{N}\s,]/u.test(ch)).join('')}-`;
}

function gramCounts(value: string, size: number): Map<string, number> {
  const text = [...normalized(value)];
  const counts = new Map<string, number>();
  for (let i = 0; i + size <= text.length; i++) {
    const gram = text.slice(i, i + size).join('');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

function magnitude(counts: Map<string, number>): number {
  let sum = 0;
  for (const count of counts.values()) sum += count * count;
  return Math.sqrt(sum);
}

function levenshteinSimilarity(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  const longest = Math.max(s.length, t.length);
  if (longest === 0) return 1;
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return 1 - previous[t.length] / longest;
}

export class FuzzySet {
  private readonly exact = new Map<string, string>();
  private readonly items = new Map<number, Item[]>();
  private readonly grams = new Map<string, { index: number; count: number }[]>();

  /** Like `Data.FuzzySet.fromList`, which adds the list from its last element to its first. */
  constructor(values: Iterable<string>) {
    for (const value of [...values].reverse()) this.add(value);
  }

  private add(value: string): void {
    const key = value.toLowerCase();
    if (this.exact.has(key)) return;
    for (const size of GRAM_SIZES) {
      const counts = gramCounts(key, size);
      const list = this.items.get(size) ?? [];
      const index = list.length;
      list.push({ key, magnitude: magnitude(counts) });
      this.items.set(size, list);
      for (const [gram, count] of counts) {
        const infos = this.grams.get(gram) ?? [];
        infos.push({ index, count });
        this.grams.set(gram, infos);
      }
    }
    this.exact.set(key, value);
  }

  /** Every match scoring at least 0.33, best first; an exact (case-insensitive) match alone scores 1. */
  get(value: string): { score: number; value: string }[] {
    const key = value.toLowerCase();
    const exact = this.exact.get(key);
    if (exact !== undefined) return [{ score: 1, value: exact }];
    for (const size of GRAM_SIZES) {
      const found = this.matches(key, size);
      if (found.length > 0) return found;
    }
    return [];
  }

  /** The best match, if any scores at least 0.33. */
  getOne(value: string): string | null {
    return this.get(value)[0]?.value ?? null;
  }

  private matches(key: string, size: number): { score: number; value: string }[] {
    const query = gramCounts(key, size);
    const queryMagnitude = magnitude(query);
    const dot = new Map<number, number>();
    for (const [gram, count] of query) {
      for (const info of this.grams.get(gram) ?? [])
        dot.set(info.index, (dot.get(info.index) ?? 0) + info.count * count);
    }
    const items = this.items.get(size) ?? [];
    const byCosine = [...dot]
      .map(([index, score]) => ({ score: score / (queryMagnitude * items[index].magnitude), key: items[index].key }))
      .sort((a, b) => b.score - a.score);
    return byCosine
      .slice(0, LEVENSHTEIN_CANDIDATES)
      .map(({ key: entry }) => ({ score: levenshteinSimilarity(key, entry), key: entry }))
      .sort((a, b) => b.score - a.score)
      .filter((m) => m.score >= MIN_SCORE)
      .map((m) => ({ score: m.score, value: this.exact.get(m.key) ?? m.key }));
  }
}
