/**
 * Whether a dataset, flow or schema name can be used: any name Spark accepts (backticked names
 * may hold hyphens, spaces and other characters) that is also one safe storage folder name — not
 * empty, no `/` or `\\`, no control characters, not starting with `.` (so never `.`, `..` or a
 * hidden folder).
 */
export function isUsableName(name: string): boolean {
  return (
    name !== '' && !name.startsWith('.') && !/[/\\\u0000-\u001f\u007f]/.test(name) && name.trim() === name
  );
}

/** Levenshtein distance (case-insensitive). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** The closest candidate within a distance of max(2, a third of the name's length), if any. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
