import { type AstNode, castNode, nullConstant } from './ast.ts';
import { at, cmp, colRef, fn, freshName, int, lambda, letIn, raise, text, when } from './functions/build.ts';

/**
 * The Databricks JSON path operator on strings, `raw:a.b[0]`, `raw:['Key']`, `` raw:`zip code` ``:
 * the value at the path as a STRING — a JSON string unquoted, JSON `null` or a missing field as
 * NULL, an object or array as its JSON text; NULL when `raw` is not valid JSON. A name written
 * bare or in backticks matches a field case-insensitively (two fields that differ only in case
 * are an error); a name in brackets matches exactly; `[n]` is an element of an array (from 0).
 * Without an alias the column is named after the last field name (`raw:a.b` is column `b`).
 */

export type JsonPathStep =
  | { readonly key: string; readonly caseSensitive: boolean }
  | { readonly index: number };

/** The path as the text of the string constant the pre-pass writes. */
export function encodeJsonPath(steps: readonly JsonPathStep[]): string {
  return JSON.stringify(steps.map((s) => ('index' in s ? s.index : [s.key, s.caseSensitive])));
}

/** The steps of an encoded path, or undefined when `text` is not one. */
export function decodeJsonPath(encoded: string): JsonPathStep[] | undefined {
  try {
    const raw: unknown = JSON.parse(encoded);
    if (!Array.isArray(raw)) return undefined;
    return raw.map((s) =>
      typeof s === 'number'
        ? { index: s }
        : { key: String((s as unknown[])[0]), caseSensitive: (s as unknown[])[1] === true },
    );
  } catch {
    return undefined;
  }
}

/** The column name Spark gives `x:path` without an alias: the last field name. */
export function jsonPathAlias(steps: readonly JsonPathStep[]): string | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i]!;
    if ('key' in s) return s.key;
  }
  return undefined;
}

/** A DuckDB JSONPath for one exact field name: `$."name"`. */
function keyPath(key: string): string {
  return `$."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** One step applied to the JSON value bound to variable `v` (NULL stays NULL). */
function step(v: string, s: JsonPathStep, used: readonly AstNode[]): AstNode {
  const ref = () => colRefOf(v);
  if ('index' in s) return fn('json_extract', ref(), text(`$[${s.index}]`));
  // A name without letters matches itself only: no case to ignore.
  if (s.caseSensitive || !/\p{L}/u.test(s.key)) return fn('json_extract', ref(), text(keyPath(s.key)));
  const k = freshName('k', ...used);
  const m = freshName('m', ...used, colRefOf(k));
  const matches = fn(
    'list_filter',
    fn('json_keys', ref()),
    lambda([k], cmp('=', fn('lower', colRefOf(k)), text(s.key.toLowerCase()))),
  );
  const exactPath = fn(
    'concat',
    text('$."'),
    fn('replace', fn('replace', at(colRefOf(m), int(1)), text('\\'), text('\\\\')), text('"'), text('\\"')),
    text('"'),
  );
  return letIn(
    m,
    matches,
    when(
      [
        [cmp('=', fn('len', colRefOf(m)), int(1)), fn('json_extract', ref(), exactPath)],
        [
          cmp('>', fn('len', colRefOf(m)), int(1)),
          raise(
            'AMBIGUOUS_REFERENCE_TO_FIELDS',
            `the JSON path field '${s.key}' matches several fields that differ only in case`,
          ),
        ],
      ],
      nullConstant(),
    ),
  );
}

const colRefOf = (name: string): AstNode => colRef(name);

/** The DuckDB expression for `input:path` (see the module comment). */
export function jsonPathExtract(input: AstNode, steps: readonly JsonPathStep[]): AstNode {
  const v0 = freshName('j', input);
  // Invalid JSON reads as NULL (DuckDB's JSON functions would fail on it).
  let value = letIn(v0, input, when([[fn('json_valid', colRefOf(v0)), colRefOf(v0)]], nullConstant()));
  for (const s of steps) {
    const v = freshName('j', value);
    value = letIn(v, value, step(v, s, [value]));
  }
  const r = freshName('j', value);
  return letIn(
    r,
    value,
    when(
      [
        [
          cmp('=', fn('json_type', colRefOf(r)), text('VARCHAR')),
          fn('json_extract_string', colRefOf(r), text('$')),
        ],
        [cmp('=', fn('json_type', colRefOf(r)), text('NULL')), castNode(nullConstant(), 'VARCHAR')],
      ],
      castNode(colRefOf(r), 'VARCHAR'),
    ),
  );
}
