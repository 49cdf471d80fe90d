import type { XmlReadOptions } from '../../sql/index.ts';
import { sqlString } from '../../util/index.ts';

/**
 * The row elements of XML files as DuckDB SQL over `read_text` (see `file-xml.ts` for the subset
 * and its checks): found with string splits, not with a regular expression per construct. Each
 * row start tag `<rowTag` is marked with U+0002 and each end tag with U+0003 (one regular
 * expression each over a file; characters XML 1.0 does not allow, refused in the files), the file
 * is split at the starts and each piece at the ends; a row's content is split at `<` into tokens
 * (`name>text`, `name/>text`, `/name>text`), each token at its first `>`.
 *
 * What is read from a row assumes its checks passed: the content is text-only children, blanks
 * and comments between them.
 */

/**
 * Whitespace as Java's `String.trim` removes it (the characters XML allows among those ≤ U+0020),
 * as an SQL literal holding the characters themselves (a constant inside lambdas too).
 */
export const WS = "' \t\n\r'";

/** Attribute lists: ` name="value"` or `name='value'`, any number. */
export const ATTRS = `(?:\\s+[^\\s=/<>]+\\s*=\\s*(?:"[^"]*"|'[^']*'))*`;

/** One attribute: name (group 1), quoted value (group 2). */
const ATTR_RE = `([^\\s=/<>]+)\\s*=\\s*("[^"]*"|'[^']*')`;

export function escapeRegex(name: string): string {
  return name.replace(/[.-]/g, (c) => `\\${c}`);
}

export function fileList(paths: readonly string[]): string {
  return `[${paths.map(sqlString).join(', ')}]`;
}

/**
 * The files' content with each comment replaced by U+0001 — a character XML 1.0 does not allow,
 * so it marks where a comment was: commented-out markup is not read, and a comment inside a value
 * can be refused (`__raw`: the content as it is).
 */
export function contentSql(paths: readonly string[]): string {
  return (
    `SELECT filename AS __src, CASE WHEN contains(content, '<!--') THEN regexp_replace(content, '<!--(?s:.*?)-->', chr(1), 'g') ELSE content END AS __c, ` +
    `content AS __raw FROM read_text(${fileList(paths)})`
  );
}

/** `x` with references decoded (the checks refused any other `&`). */
export function decode(x: string): string {
  const rest = (n: number) => `p[${n}:]`;
  const hex = `chr(TRY_CAST('0x' || regexp_extract(p, '^#x([0-9a-fA-F]+);', 1) AS INTEGER)) || regexp_replace(p, '^#x[0-9a-fA-F]+;', '')`;
  const dec = `chr(TRY_CAST(regexp_extract(p, '^#([0-9]+);', 1) AS INTEGER)) || regexp_replace(p, '^#[0-9]+;', '')`;
  const part =
    `CASE WHEN i = 1 THEN p WHEN p ^@ 'lt;' THEN '<' || ${rest(4)} WHEN p ^@ 'gt;' THEN '>' || ${rest(4)} ` +
    `WHEN p ^@ 'amp;' THEN '&' || ${rest(5)} WHEN p ^@ 'quot;' THEN '"' || ${rest(6)} WHEN p ^@ 'apos;' THEN '''' || ${rest(6)} ` +
    `WHEN p ^@ '#x' THEN ${hex} WHEN p ^@ '#' THEN ${dec} END`;
  return `CASE WHEN contains(${x}, '&') THEN array_to_string(list_transform(string_split(${x}, '&'), (p, i) -> ${part}), '') ELSE ${x} END`;
}

/** The first `&` in `x` (up to 20 characters) that starts no predefined or numeric character reference; NULL when none. */
export function badReference(x: string): string {
  const ok =
    `p ^@ 'lt;' OR p ^@ 'gt;' OR p ^@ 'amp;' OR p ^@ 'quot;' OR p ^@ 'apos;' ` +
    `OR (p ^@ '#' AND regexp_matches(p, '^#(?:[0-9]+|x[0-9a-fA-F]+);'))`;
  return `CASE WHEN contains(${x}, '&') THEN '&' || left(list_filter(string_split(${x}, '&')[2:], p -> NOT (${ok}))[1], 20) END`;
}

/** Text content with line ends normalized (`\r\n`, `\r` → `\n`), then decoded. */
export function textValue(x: string): string {
  return decode(
    `CASE WHEN contains(${x}, '\r') THEN replace(replace(${x}, '\r\n', '\n'), '\r', '\n') ELSE ${x} END`,
  );
}

/** An attribute's value without its quotes, normalized as XML parsers do (line ends, then each whitespace character → space). */
export function attributeText(quoted: string): string {
  return `translate(replace((${quoted})[2:-2], '\r\n', '\n'), '\t\n\r', '   ')`;
}

/**
 * Whether raw text `v` (before decoding) decodes to a value with leading or trailing whitespace:
 * whitespace at either end, or a character reference there that decodes to whitespace.
 */
export function paddedSql(v: string): string {
  return (
    `(${v} <> trim(${v}, ${WS}) OR ((${v} ^@ '&#' OR suffix(${v}, ';')) AND ` +
    `${decode(v)} <> trim(${decode(v)}, ${WS})))`
  );
}

/** The name in start tag text `h` (`name`, `name `, `name/`; rtrim only where needed: it is slow). */
function nameOf(h: string): string {
  const ends = ['/', ' ', '\t', '\n', '\r'].map((c) => `suffix(${h}, '${c}')`).join(' OR ');
  return `CASE WHEN ${ends} THEN rtrim(${h}, ' \t\n\r/') ELSE ${h} END`;
}

/** A child's raw text from its start tag token `x` (`name>text`; '' when self-closing: `name/>…`). */
const VALUE = `CASE WHEN substr(x, strpos(x, '>') - 1, 1) = '/' THEN '' ELSE substr(x, strpos(x, '>') + 1) END`;

/** The start tag tokens of content `__i` (see `rowsSql`). */
const START_TOKENS = `list_filter(string_split(__i, '<')[2:], x -> NOT x ^@ '/')`;

/**
 * `__v` and `__cn` of `rowsSql` computed from `__i` where they are used: for the few rows a check
 * looks at closely, not for every row.
 */
export const CHILD_VALUES = `list_transform(${START_TOKENS}, x -> ${VALUE})`;
export const CHILD_NAMES = `list_transform(${START_TOKENS}, x -> ${nameOf(`split_part(x, '>', 1)`)})`;

/**
 * One row per row element of `paths`. Columns: `__src`; `__a` the row element's attributes'
 * text; `__open` whether its start tag is well-formed and it ends exactly once before the next
 * row starts; `__i` its content; `__hs` the text inside each tag of the content (`name`,
 * `/name`, `name/`); `__h` the children's start tags' text; `__v` each child's raw text ('' when self-closing); `__cn` / `__ct` the
 * children's names and decoded texts; `__an` / `__av` the attributes' names and quoted values,
 * `__at` their decoded values.
 */
export function rowsSql(paths: readonly string[], xml: XmlReadOptions): string {
  const tag = escapeRegex(xml.rowTag);
  const len = xml.rowTag.length;
  const marked =
    `string_split(regexp_replace(regexp_replace(__c, ${sqlString(`<(${tag}[\\s/>])`)}, chr(2) || '\\1', 'g'), ` +
    `${sqlString(`</${tag}\\s*>`)}, chr(3), 'g'), chr(2))`;
  const pieces = `SELECT __src, unnest(__p[2:]) AS __piece FROM (SELECT __src, ${marked} AS __p FROM (${contentSql(paths)}))`;
  const head = sqlString(`^${tag}(${ATTRS}\\s*)>`);
  const rows =
    `SELECT __src, __a, len(__q) = 2 AND substr(__q[1], ${len + 1} + length(__a), 1) = '>' AS __open, ` +
    `substr(__q[1], ${len + 2} + length(__a)) AS __i FROM (` +
    `SELECT __src, __q, regexp_extract(__q[1], ${head}, 1) AS __a FROM (SELECT __src, string_split(__piece, chr(3)) AS __q FROM (${pieces})))`;
  const attr = sqlString(ATTR_RE);
  const tokens =
    `SELECT __src, __a, __open, __i, list_transform(__k, x -> split_part(x, '>', 1)) AS __hs, ` +
    `list_transform(__s, x -> split_part(x, '>', 1)) AS __h, list_transform(__s, x -> ${VALUE}) AS __v, ` +
    `regexp_extract_all(__a, ${attr}, 1) AS __an, regexp_extract_all(__a, ${attr}, 2) AS __av FROM (` +
    `SELECT *, list_filter(__k, x -> NOT x ^@ '/') AS __s FROM (SELECT *, string_split(__i, '<')[2:] AS __k FROM (${rows})))`;
  return (
    `SELECT *, list_transform(__h, h -> ${nameOf('h')}) AS __cn, list_transform(__v, v -> ${textValue('v')}) AS __ct, ` +
    `list_transform(__av, q -> ${decode(attributeText('q'))}) AS __at FROM (${tokens})`
  );
}

/**
 * The entries of a row of `rowsSql` — its attributes (named `attributePrefix` + name; none with
 * `excludeAttribute`), then its children, in order — as parallel lists: names, decoded texts,
 * and whether each is a child element (else an attribute).
 */
export function entriesSql(xml: XmlReadOptions): { names: string; texts: string; isChild: string } {
  if (xml.excludeAttribute) {
    return { names: '__cn', texts: '__ct', isChild: `list_transform(__cn, n -> true)` };
  }
  return {
    names: `list_concat(list_transform(__an, n -> ${sqlString(xml.attributePrefix)} || n), __cn)`,
    texts: `list_concat(__at, __ct)`,
    isChild: `list_concat(list_transform(__an, n -> false), list_transform(__cn, n -> true))`,
  };
}
