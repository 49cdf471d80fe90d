/**
 * DuckDB type strings (as DESCRIBE and `typeof` print them) parsed into their structure: what
 * a reader needs to convert values to a column's type, or a query rewrite to know whether a
 * value is a struct, a list or a map.
 */

/** A DuckDB type string parsed into its structure. */
export type DuckType =
  | { readonly kind: 'scalar'; readonly name: string; readonly text: string }
  | { readonly kind: 'list'; readonly element: DuckType; readonly text: string }
  | {
      readonly kind: 'struct';
      readonly fields: readonly { name: string; type: DuckType }[];
      readonly text: string;
    }
  | { readonly kind: 'map'; readonly key: DuckType; readonly value: DuckType; readonly text: string };

/** Splits `s` at top-level commas (outside parentheses and double quotes). */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

/** `"a b" INT` → [`a b`, `INT`]; `a INT` → [`a`, `INT`]. */
function fieldOf(def: string): { name: string; rest: string } {
  if (def.startsWith('"')) {
    let i = 1;
    let name = '';
    for (; i < def.length; i++) {
      if (def[i] === '"' && def[i + 1] === '"') {
        name += '"';
        i++;
      } else if (def[i] === '"') break;
      else name += def[i];
    }
    return { name, rest: def.slice(i + 1).trim() };
  }
  const m = /^(\S+)\s+([\s\S]*)$/.exec(def);
  return m ? { name: m[1]!, rest: m[2]!.trim() } : { name: def, rest: 'VARCHAR' };
}

/** Parses a DuckDB type string as sluice writes them (`BIGINT`, `VARCHAR[]`, `STRUCT("a" INT)`, `MAP(K, V)`). */
export function parseDuckType(text: string): DuckType {
  const t = text.trim();
  if (t.endsWith('[]')) return { kind: 'list', element: parseDuckType(t.slice(0, -2)), text: t };
  const m = /^(STRUCT|MAP)\s*\(([\s\S]*)\)$/i.exec(t);
  if (m && m[1]!.toUpperCase() === 'STRUCT') {
    const fields = splitTopLevel(m[2]!).map((def) => {
      const { name, rest } = fieldOf(def);
      return { name, type: parseDuckType(rest) };
    });
    return { kind: 'struct', fields, text: t };
  }
  if (m) {
    const [k, v] = splitTopLevel(m[2]!);
    return { kind: 'map', key: parseDuckType(k ?? 'VARCHAR'), value: parseDuckType(v ?? 'VARCHAR'), text: t };
  }
  return { kind: 'scalar', name: t.replace(/\(.*$/, '').trim().toUpperCase(), text: t };
}
