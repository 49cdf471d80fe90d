/**
 * Rewrites `ON VIOLATION QUARANTINE` (a sluice extension) to `ON VIOLATION DROP ROW` in Lakeflow
 * SQL text, outside string literals, quoted identifiers and comments; everything else is kept
 * byte for byte, so line numbers and `${key}` references survive.
 */
export function lowerQuarantineClauses(text: string): { readonly text: string; readonly count: number } {
  let out = '';
  let count = 0;
  let i = 0;
  const clause = /^ON(\s+)VIOLATION(\s+)QUARANTINE\b/i;
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop);
      i = stop;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== ch) j += text[j] === '\\' && ch !== '`' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if ((ch === 'O' || ch === 'o') && !/[A-Za-z0-9_]/.test(text[i - 1] ?? ' ')) {
      const m = clause.exec(text.slice(i, i + 64));
      if (m) {
        out += `ON${m[1]}VIOLATION${m[2]}DROP ROW`;
        i += m[0].length;
        count++;
      } else {
        out += ch;
        i++;
      }
    } else {
      out += ch;
      i++;
    }
  }
  return { text: out, count };
}
