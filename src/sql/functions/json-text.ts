/**
 * How Spark reads and prints JSON text, as DuckDB expressions — the ground the JSON rules
 * (`json.ts`) share.
 *
 * Reading: Spark parses with Jackson, which stops where the answer is known and accepts some
 * text DuckDB's reader refuses (single quotes, raw control characters, text after the value),
 * while DuckDB accepts some Jackson refuses (trailing commas, NaN / Infinity). Text both read the
 * same way gets the translated result; text only Jackson rejects gets Spark's answer to malformed
 * input (usually NULL); text DuckDB cannot read is a run-time error, since Spark's answer depends
 * on where its parser stopped.
 *
 * Printing: Spark re-prints values with Jackson — doubles as Java's `Double.toString`
 * (`1.0E7`, `1.0E-4`), control characters as `\u00XX` in upper case. DuckDB prints the same text
 * for doubles in [0.001, 10^7) and the other escapes alike; a result holding any other number
 * form is a run-time error rather than a different text.
 */
import type { AstNode } from '../ast.ts';
import {
  and,
  bool,
  cast,
  cmp,
  colRef,
  field,
  fn,
  int,
  isNull,
  lambda,
  NULL,
  not,
  op,
  or,
  raise,
  structOf,
  text,
  when,
} from './build.ts';

/** A JSON string literal (`"…"` with escapes), as an RE2 pattern. */
const JSON_STRING = '"(?:[^"\\\\]|\\\\.)*"';

/** `json` with the contents of its string literals removed (so patterns see only structure). */
export const withoutStrings = (json: AstNode): AstNode =>
  fn('regexp_replace', json, text(JSON_STRING), text('""'), text('g'));

/** Whether text that DuckDB reads as JSON holds what Jackson rejects: a trailing comma, NaN or Infinity. */
export function jacksonRejects(json: AstNode, allowNonNumeric = false): AstNode {
  const pattern = allowNonNumeric ? ',\\s*[\\]}]' : ',\\s*[\\]}]|NaN|Infinity';
  return fn('regexp_matches', withoutStrings(json), text(pattern));
}

/** Whether `json` is empty or blank (Jackson finds no token: Spark's answer is NULL). */
export const isBlank = (json: AstNode): AstNode => cmp('=', fn('trim', json), text(''));

/** Whether the first token of `json` cannot open an object or an array. */
export const notContainer = (json: AstNode): AstNode => not(fn('regexp_matches', json, text('^\\s*[\\[{]')));

/**
 * Whether JSON text DuckDB printed could differ from Jackson's: a double outside [0.001, 10^7)
 * (Java switches to `1.0E7` notation), NaN / Infinity, or a control character escaped with hex
 * letters (Jackson writes them in upper case).
 */
export function printsDifferently(jsonText: AstNode): AstNode {
  const numbers = fn(
    'regexp_matches',
    withoutStrings(jsonText),
    text('[0-9]{8,}\\.[0-9]|[0-9][eE]|(^|[^0-9.])0\\.000|NaN|Infinity'),
  );
  const escapes = fn('regexp_matches', jsonText, text('\\\\u00[01][a-fA-F]'));
  return or(numbers, escapes);
}

/**
 * Whether the outermost array or object of `json` (text opening one) never closes. Spark's
 * parser then meets the end of the text inside it, whatever came before, so its answer is the
 * one for malformed input. Strings are removed first; text with a single quote (a string to
 * Jackson, not to this count) is never called unclosed.
 */
export function rootUnclosed(json: () => AstNode): AstNode {
  const [acc, d, ch] = ['__sl_acc', '__sl_d', '__sl_ch'];
  const depth = () => field(colRef(acc), 'depth');
  const step = when(
    [
      [or(cmp('=', colRef(ch), text('[')), cmp('=', colRef(ch), text('{'))), int(1)],
      [or(cmp('=', colRef(ch), text(']')), cmp('=', colRef(ch), text('}'))), int(-1)],
    ],
    int(0),
  );
  // list_reduce needs the accumulator and the elements of one type: {depth, closed} structs.
  const next = structOf([
    ['depth', op('+', depth(), field(colRef(d), 'depth'))],
    [
      'closed',
      or(
        field(colRef(acc), 'closed'),
        and(cmp('>', depth(), int(0)), cmp('=', op('+', depth(), field(colRef(d), 'depth')), int(0))),
      ),
    ],
  ]);
  const entry = (x: AstNode) =>
    structOf([
      ['depth', x],
      ['closed', bool(false)],
    ]);
  const deltas = fn(
    'list_transform',
    fn('string_split', withoutStrings(json()), text('')),
    lambda([ch], entry(step)),
  );
  const closed = field(fn('list_reduce', deltas, lambda([acc, d], next), entry(int(0))), 'closed');
  return and(cmp('=', fn('strpos', json(), text("'")), int(0)), not(closed));
}

/** A run-time error for JSON text DuckDB cannot read the way Spark would. */
export function unreadable(what: string): AstNode {
  return raise(
    'SLUICE_JSON_NOT_STANDARD',
    `${what}: the JSON text is not standard JSON (single quotes, control characters or text after the value?); Spark's result would depend on where its parser stops`,
  );
}

/** A run-time error for a value whose printed form Spark would write differently. */
export function unprintable(what: string): AstNode {
  return raise(
    'SLUICE_JSON_NUMBER_FORMAT',
    `${what}: the value holds a number Spark prints in another form (exponent notation, NaN) or an escape sluice cannot reproduce exactly`,
  );
}

/**
 * A JSON value (`value()` gives a DuckDB JSON, or NULL) as Spark's get_json_object / json_tuple print it: a
 * string's own text, any other value as compact JSON, JSON null as NULL.
 */
export function sparkValueText(value: () => AstNode, what: string): AstNode {
  const type = () => fn('json_type', value());
  const asText = () => cast(value(), 'VARCHAR');
  return when(
    [
      [or(isNull(value()), cmp('=', type(), text('NULL'))), cast(NULL(), 'VARCHAR')],
      [cmp('=', type(), text('VARCHAR')), fn('json_extract_string', value(), text('$'))],
      [printsDifferently(asText()), unprintable(what)],
    ],
    asText(),
  );
}

/**
 * A Spark JSON path (`$.a.b[0]`, `$['a b']`) as a DuckDB JSON path, or `invalid` (Spark then
 * returns NULL) or `wildcard` (`[*]`, `.*`: Spark's Hive-style results have no DuckDB form).
 */
export function duckdbJsonPath(path: string): string | 'invalid' | 'wildcard' {
  if (!path.startsWith('$')) return 'invalid';
  let out = '$';
  let i = 1;
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest.startsWith('.*') || rest.startsWith("['*']") || rest.startsWith('[*]')) return 'wildcard';
    let m = /^\.([^.[]+)/.exec(rest) ?? /^\['([^']+)'\]/.exec(rest);
    if (m) {
      if (m[1]!.includes('"')) return 'wildcard';
      out += `."${m[1]}"`;
      i += m[0].length;
      continue;
    }
    m = /^\[(\d+)\]/.exec(rest);
    if (m) {
      out += `[${BigInt(m[1]!)}]`;
      i += m[0].length;
      continue;
    }
    return 'invalid';
  }
  return out;
}
