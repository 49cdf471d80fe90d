import type { XmlReadOptions } from '../../sql/index.ts';
import { unsupportedXml } from '../../sql/index.ts';
import {
  type DuckDBConnection,
  type DuckType,
  parseDuckType,
  queryRows,
  sqlIdent,
  sqlString,
} from '../../util/index.ts';
import { displayPath } from './file-checks.ts';
import type { FileColumn, FileSchema } from './file-schema.ts';

/**
 * XML files as Spark's XML data source reads them, for the subset sluice can read exactly — all
 * in DuckDB SQL over `read_text` (regular expressions, lists; no per-row JavaScript):
 * - every `<rowTag …>…</rowTag>` anywhere in a file is a row; text outside row elements is
 *   ignored;
 * - the row element's attributes are columns named `attributePrefix` + name (unless
 *   `excludeAttribute`); its children must be text-only elements (`<a>text</a>`, `<a/>`), each a
 *   column; a child repeated within a row is an ARRAY;
 * - text and attribute values decode the five predefined entities and numeric character
 *   references; line ends are normalized (and whitespace in attribute values) as XML parsers do;
 * - an empty child element is `''` in a STRING column and NULL in any other; `nullValue` reads as
 *   NULL; `ignoreSurroundingSpaces` trims values (when it is not set, a value with surrounding
 *   whitespace is refused: see `XmlReadOptions`).
 * Comments are ignored (commented-out markup too) where Spark's parser skips them: outside row
 * elements and between child elements.
 * Refused with UNSUPPORTED_XML naming the file and the construct, before a batch reads a row:
 * DOCTYPE declarations, comments inside a value, CDATA sections, processing instructions (but the XML
 * declaration), encodings other than UTF-8, namespaces and names that are not plain ASCII XML
 * names, repeated attributes, self-closing row elements (`<rowTag/>`:
 * Spark's record readers have differed on them), child elements with attributes or with
 * child elements (STRUCT columns), text directly inside a row element (mixed content), row
 * elements that are not closed or contain row elements, mismatched tags, other entity
 * references, and values whose inferred type sluice cannot tell exactly (see `classSql`).
 *
 * Schema inference follows Spark's `XmlInferSchema`: each value is tried as BIGINT, DOUBLE, DATE
 * (`yyyy-MM-dd`), TIMESTAMP, BOOLEAN (`true` / `false`, any case), else STRING; empty values and
 * `nullValue` carry no type; types of a field merge to the narrowest that holds both (BIGINT and
 * DOUBLE → DOUBLE, DATE and TIMESTAMP → TIMESTAMP, any other mix → STRING); a field never seen
 * with a value is a STRING; fields are sorted by name (attributes among them).
 */

/** Whitespace as Java's `String.trim` removes it (the characters XML allows among those ≤ U+0020). */
const WS = `' ' || chr(9) || chr(10) || chr(13)`;

/** Attribute lists: ` name="value"` or `name='value'`, any number. */
const ATTRS = `(?:\\s+[^\\s=/<>]+\\s*=\\s*(?:"[^"]*"|'[^']*'))*`;

/** One attribute: name (group 1), quoted value (group 2). */
const ATTR_RE = `([^\\s=/<>]+)\\s*=\\s*("[^"]*"|'[^']*')`;

/** One text-only child: name (1), attributes (2), `/` when self-closing (3), text (4), end tag name (5). */
const CHILD_RE = `<([^\\s/<>!?]+)(${ATTRS})\\s*(?:(/)>|>([^<]*)</([^\\s<>]+)\\s*>)`;

/** The references XML predefines (and numeric character references). */
const ENTITY_RE = `&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);`;

/** A timestamp Spark's default parser reads and DuckDB casts alike (ISO date, time, optional zone). */
const TIMESTAMP_RE = `[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?`;
const DATE_RE = `[0-9]{4}-[0-9]{2}-[0-9]{2}`;
const NUMBER_RE = `[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?`;

/** Rows sampled for type inference, in file order. */
const INFERENCE_ROWS = 20000;

function escapeRegex(name: string): string {
  return name.replace(/[.-]/g, (c) => `\\${c}`);
}

/** A row element: attributes (group 1), content (group 2, NULL when self-closing). */
function rowRe(tag: string): string {
  const t = escapeRegex(tag);
  return `<${t}(${ATTRS})\\s*(?:/>|>((?s:.*?))</${t}\\s*>)`;
}

function fileList(paths: readonly string[]): string {
  return `[${paths.map(sqlString).join(', ')}]`;
}

/**
 * The files' content with each comment replaced by U+0001 — a character XML 1.0 does not allow,
 * so it marks where a comment was: commented-out markup is not read, and a comment inside a value
 * can be refused (`__raw`: the content as it is).
 */
function contentSql(paths: readonly string[]): string {
  return `SELECT filename AS __src, regexp_replace(content, '<!--(?s:.*?)-->', chr(1), 'g') AS __c, content AS __raw FROM read_text(${fileList(paths)})`;
}

/** `x` with references decoded (the check refused any other `&`). */
function decode(x: string): string {
  const rest = (n: number) => `p[${n}:]`;
  const hex = `chr(TRY_CAST('0x' || regexp_extract(p, '^#x([0-9a-fA-F]+);', 1) AS INTEGER)) || regexp_replace(p, '^#x[0-9a-fA-F]+;', '')`;
  const dec = `chr(TRY_CAST(regexp_extract(p, '^#([0-9]+);', 1) AS INTEGER)) || regexp_replace(p, '^#[0-9]+;', '')`;
  const part =
    `CASE WHEN i = 1 THEN p WHEN p ^@ 'lt;' THEN '<' || ${rest(4)} WHEN p ^@ 'gt;' THEN '>' || ${rest(4)} ` +
    `WHEN p ^@ 'amp;' THEN '&' || ${rest(5)} WHEN p ^@ 'quot;' THEN '"' || ${rest(6)} WHEN p ^@ 'apos;' THEN '''' || ${rest(6)} ` +
    `WHEN p ^@ '#x' THEN ${hex} WHEN p ^@ '#' THEN ${dec} END`;
  return `CASE WHEN contains(${x}, '&') THEN array_to_string(list_transform(string_split(${x}, '&'), (p, i) -> ${part}), '') ELSE ${x} END`;
}

/** Text content with line ends normalized (`\r\n`, `\r` → `\n`), then decoded. */
function textValue(x: string): string {
  return decode(`replace(replace(${x}, chr(13) || chr(10), chr(10)), chr(13), chr(10))`);
}

/** An attribute's quoted value, normalized as XML parsers do (line ends and whitespace → space), then decoded. */
function attributeValue(quoted: string): string {
  return decode(`regexp_replace((${quoted})[2:-2], '\\r\\n|[\\t\\n\\r]', ' ', 'g')`);
}

/**
 * One row per row element: `__src`, `__a` (its attributes' text), `__i` (its content, '' when
 * self-closing), each regular expression's matches once (`__kn` child names, `__ka` their
 * attributes, `__kc` '/' when self-closing, `__kt` texts, `__ke` end tag names, `__an` / `__av`
 * attribute names and quoted values), and `__e` (its entries: `{n: name, t: decoded text, k:
 * child element?}`, attributes first, then children in order).
 */
function rowsSql(paths: readonly string[], xml: XmlReadOptions): string {
  const re = sqlString(rowRe(xml.rowTag));
  const rows =
    `SELECT __src, unnest(regexp_extract_all(__c, ${re}, 1)) AS __a, unnest(regexp_extract_all(__c, ${re}, 2)) AS __i ` +
    `FROM (${contentSql(paths)})`;
  const child = sqlString(CHILD_RE);
  const attr = sqlString(ATTR_RE);
  const groups =
    `regexp_extract_all(__i, ${child}, 1) AS __kn, regexp_extract_all(__i, ${child}, 2) AS __ka, ` +
    `regexp_extract_all(__i, ${child}, 3) AS __kc, regexp_extract_all(__i, ${child}, 4) AS __kt, ` +
    `regexp_extract_all(__i, ${child}, 5) AS __ke, regexp_extract_all(__a, ${attr}, 1) AS __an, ` +
    `regexp_extract_all(__a, ${attr}, 2) AS __av`;
  const attrs = xml.excludeAttribute
    ? `[]::STRUCT(n VARCHAR, t VARCHAR, k BOOLEAN)[]`
    : `list_transform(__an, (n, i) -> {'n': ${sqlString(xml.attributePrefix)} || n, 't': ${attributeValue('__av[i]')}, 'k': false})`;
  const kids = `list_transform(__kn, (n, i) -> {'n': n, 't': ${textValue(`COALESCE(__kt[i], '')`)}, 'k': true})`;
  return (
    `SELECT *, list_concat(${attrs}, ${kids}) AS __e FROM (SELECT *, ${groups} FROM (` +
    `SELECT __src, COALESCE(__a, '') AS __a, COALESCE(__i, '') AS __i FROM (${rows})))`
  );
}

/** An entry's value as a column of type `scalar` (or an array's element type) reads it, before conversion. */
function entryValue(e: string, xml: XmlReadOptions, isString: boolean): string {
  let v = xml.ignoreSurroundingSpaces === true ? `trim(${e}.t, ${WS})` : `${e}.t`;
  if (xml.nullValue !== undefined) v = `CASE WHEN ${v} = ${sqlString(xml.nullValue)} THEN NULL ELSE ${v} END`;
  // An empty (or blank) child element is NULL unless the column is a STRING (Spark's convertField).
  return isString ? v : `CASE WHEN ${e}.k AND trim(${e}.t, ${WS}) = '' THEN NULL ELSE ${v} END`;
}

/**
 * The raw relation of XML files (see `file-read.ts`): `__v<i>` the VARCHAR value (or VARCHAR[]
 * for an ARRAY column) of each schema column — matched by name case-insensitively; the last
 * occurrence for a scalar column, as Spark keeps —, `__x` the fields the schema lacks as a JSON
 * object (a repeated one as an array).
 */
export function xmlRawSql(paths: readonly string[], schema: FileSchema, xml: XmlReadOptions): string {
  const known = schema.columns.map((c) => c.name.toLowerCase());
  const values = schema.columns.map((c, i) => {
    const t = parseDuckType(c.type);
    const element = t.kind === 'list' ? t.element : t;
    const isString = element.kind === 'scalar' && element.name === 'VARCHAR';
    const matched = `list_filter(__e, e -> lower(e.n) = ${sqlString(c.name.toLowerCase())})`;
    const list = `list_transform(${matched}, e -> ${entryValue('e', xml, isString)})`;
    return t.kind === 'list'
      ? `CASE WHEN len(${matched}) > 0 THEN ${list} END AS __v${i}`
      : `(${list})[-1] AS __v${i}`;
  });
  const knownList = `${sqlString(JSON.stringify(known))}::VARCHAR[]`;
  const unknownEntries = `list_filter(__e, e -> NOT list_contains(${knownList}, lower(e.n)))`;
  const same = `list_filter(__e, e -> e.n = u)`;
  const rescued = `CASE WHEN len(${same}) = 1 THEN to_json((${same})[1].t) ELSE to_json(list_transform(${same}, e -> e.t)) END`;
  const unknown =
    `CASE WHEN len(${unknownEntries}) > 0 THEN to_json(map_from_entries(list_transform(` +
    `list_distinct(list_transform(${unknownEntries}, e -> e.n)), u -> {'k': u, 'v': ${rescued}})))::JSON END`;
  return (
    `SELECT __src, NULL::VARCHAR AS __bad, ${unknown} AS __x${values.map((v) => `, ${v}`).join('')} ` +
    `FROM (${rowsSql(paths, xml)})`
  );
}

/**
 * Queries over `paths` giving the constructs outside the subset (see the module comment):
 * `{src, construct, detail}`, the first one of each file, then of each row element — one pass
 * over the files, one over their rows.
 */
function checkSql(paths: readonly string[], xml: XmlReadOptions): [string, string] {
  const tag = escapeRegex(xml.rowTag);
  const decl = `regexp_matches(__c, '^\\x{FEFF}?\\s*<\\?xml[\\s?]')`;
  const encoding = `lower(regexp_extract(__c, '^\\x{FEFF}?\\s*<\\?xml[^>]*?encoding\\s*=\\s*["'']([^"'']*)', 1))`;
  const fileChecks: [string, string, string][] = [
    [`${encoding} NOT IN ('', 'utf-8', 'utf8')`, 'encoding', encoding],
    [`contains(__c, '<!DOCTYPE')`, 'DOCTYPE declaration', `''`],
    [`contains(__c, '<!--')`, 'comment that is not closed', `''`],
    [`contains(__raw, chr(1))`, 'control character U+0001', `''`],
    [`contains(__c, '<![CDATA[')`, 'CDATA section', `''`],
    [
      `len(regexp_extract_all(__c, '<\\?')) > CASE WHEN ${decl} THEN 1 ELSE 0 END`,
      'processing instruction',
      `''`,
    ],
    // Spark's record readers have differed on `<row/>`: refused rather than guessed.
    [`regexp_matches(__c, ${sqlString(`<${tag}${ATTRS}\\s*/>`)})`, 'self-closing row element', `''`],
    [
      `len(regexp_extract_all(__c, ${sqlString(`<${tag}[\\s/>]`)})) <> len(regexp_extract_all(__c, ${sqlString(rowRe(xml.rowTag))}))`,
      'unclosed or nested row element',
      `''`,
    ],
  ];
  const child = sqlString(CHILD_RE);
  const firstOf = (list: string, pred: string) => `list_filter(${list}, (x, i) -> ${pred})[1]`;
  // Names sluice reads: plain ASCII XML names, no namespace prefix (`p:a`) or declaration (`xmlns`).
  const odd = (x: string) => `(NOT regexp_full_match(${x}, '[A-Za-z_][A-Za-z0-9_.-]*') OR ${x} = 'xmlns')`;
  const leftover = `trim(replace(regexp_replace(__i, ${child}, '', 'g'), chr(1), ''), ${WS})`;
  const rowChecks: [string, string, string][] = [
    [
      `${leftover} <> ''`,
      `text or a nested element inside <${xml.rowTag}> (a STRUCT or mixed content)`,
      `left(${leftover}, 60)`,
    ],
    [
      `len(list_filter(__kt, x -> contains(x, chr(1)))) > 0`,
      'comment inside a value',
      firstOf('__kn', `contains(__kt[i], chr(1))`),
    ],
    [
      `len(list_filter(__kn, (x, i) -> __kc[i] IS NULL AND __ke[i] <> x)) > 0`,
      'mismatched tags',
      firstOf('__kn', `__kc[i] IS NULL AND __ke[i] <> x`),
    ],
    [
      `len(list_filter(__ka, x -> trim(x, ${WS}) <> '')) > 0`,
      'attributes on a child element (a STRUCT)',
      firstOf('__kn', `trim(__ka[i], ${WS}) <> ''`),
    ],
    [
      `len(list_filter(list_concat(__kn, __an), x -> ${odd('x')})) > 0`,
      'namespace or a name outside [A-Za-z_][A-Za-z0-9_.-]*',
      firstOf('list_concat(__kn, __an)', odd('x')),
    ],
    [`len(list_distinct(__an)) <> len(__an)`, 'repeated attribute', `''`],
    [
      `contains(regexp_replace(__i || __a, ${sqlString(ENTITY_RE)}, '', 'g'), '&')`,
      'entity reference other than the predefined ones',
      `regexp_extract(regexp_replace(__i || __a, ${sqlString(ENTITY_RE)}, '', 'g'), '&[^;\\s]{0,20};?')`,
    ],
    [
      `len(list_filter(__av, x -> contains(x, '<') OR contains(x, chr(1)))) > 0`,
      '< in an attribute value',
      `''`,
    ],
  ];
  if (xml.ignoreSurroundingSpaces === undefined) {
    const padded = `list_filter(__e, e -> e.t <> trim(e.t, ${WS}))`;
    rowChecks.push([
      `len(${padded}) > 0`,
      'value with surrounding whitespace (set ignoreSurroundingSpaces)',
      `(${padded})[1].n`,
    ]);
  }
  // The first failing check of a file or row: its construct and detail (CASE evaluates in order).
  // The first failing check of a file or row (CASE tests in order); the detail is computed for
  // the one row returned only (the checks are the cost: each is evaluated once per row).
  const first = (checks: readonly [string, string, string][], from: string) =>
    `SELECT __src AS src, construct, CASE construct ${checks
      .map(([, construct, detail]) => `WHEN ${sqlString(construct)} THEN (${detail})::VARCHAR`)
      .join(' ')} END AS detail FROM (` +
    `SELECT *, CASE ${checks.map(([cond, construct]) => `WHEN ${cond} THEN ${sqlString(construct)}`).join(' ')} END AS construct ` +
    `FROM (${from})) WHERE construct IS NOT NULL LIMIT 1`;
  // Two queries: the files' checks, then the rows' (as one UNION ALL, DuckDB ran several times slower).
  return [first(fileChecks, contentSql(paths)), first(rowChecks, rowsSql(paths, xml))];
}

/**
 * Refuses files with a construct outside the subset (see the module comment), naming the first
 * such file and construct.
 * @throws SluiceError UNSUPPORTED_XML
 */
export async function checkXmlFiles(
  conn: DuckDBConnection,
  paths: readonly string[],
  xml: XmlReadOptions,
  root?: string,
): Promise<void> {
  if (paths.length === 0) return;
  const compressed = paths.find((p) => /\.(gz|gzip|zst|zstd|bz2|snappy|lz4|deflate)$/i.test(p));
  if (compressed !== undefined) {
    throw unsupportedXml(
      'compression',
      `XML file ${displayPath(compressed, root)} is compressed: sluice reads XML files uncompressed`,
      compressed,
    );
  }
  let found: { src: string; construct: string; detail: string | null } | undefined;
  for (const sql of checkSql(paths, xml)) {
    [found] = await queryRows<{ src: string; construct: string; detail: string | null }>(conn, sql);
    if (found !== undefined) break;
  }
  if (found === undefined) return;
  const detail = found.detail ? ` (${found.detail})` : '';
  throw unsupportedXml(
    found.construct,
    `XML file ${displayPath(found.src, root)} has a ${found.construct}${detail}: sluice reads only row elements ` +
      `<${xml.rowTag}> whose children are text-only elements, and refuses what it cannot read exactly as Spark does`,
    found.src,
  );
}

/**
 * The inference class of value `v` (VARCHAR, NULL for no value) — Spark's cascade (see the module
 * comment), and `ambiguous` for a value Spark's lenient timestamp parser may read that sluice cannot
 * tell (a year or time prefix such as `2024-1-5`, `12:30`, `123456-7`, or a hexadecimal float).
 */
function classSql(v: string): string {
  return (
    `CASE WHEN ${v} IS NULL OR ${v} = '' THEN 'null' ` +
    `WHEN regexp_full_match(${v}, '[+-]?[0-9]+') AND TRY_CAST(regexp_replace(${v}, '^[+-]', '') AS BIGINT) IS NOT NULL THEN 'long' ` +
    `WHEN regexp_full_match(${v}, ${sqlString(NUMBER_RE)}) THEN 'double' ` +
    `WHEN regexp_full_match(${v}, ${sqlString(DATE_RE)}) AND TRY_CAST(${v} AS DATE) IS NOT NULL THEN 'date' ` +
    `WHEN regexp_full_match(${v}, ${sqlString(TIMESTAMP_RE)}) THEN CASE WHEN TRY_CAST(${v} AS TIMESTAMPTZ) IS NOT NULL THEN 'timestamp' ELSE 'string' END ` +
    `WHEN lower(${v}) IN ('true', 'false') THEN 'boolean' ` +
    `WHEN regexp_matches(${v}, '^[+-]?[0-9]{4,6}(-|[T ][0-9])') OR regexp_matches(${v}, '^[+-]?[0-9]{1,2}:') ` +
    `OR regexp_matches(${v}, '^T[0-9]') OR regexp_matches(${v}, '^[+-]?0[xX]') THEN 'ambiguous' ` +
    `ELSE 'string' END`
  );
}

type XmlClass = 'null' | 'long' | 'double' | 'date' | 'timestamp' | 'boolean' | 'string';

/** Spark's `compatibleType` over the classes sluice infers. */
function mergeClass(a: XmlClass, b: XmlClass): XmlClass {
  if (a === 'null') return b;
  if (b === 'null' || a === b) return a;
  const pair = new Set([a, b]);
  if (pair.has('long') && pair.has('double')) return 'double';
  if (pair.has('date') && pair.has('timestamp')) return 'timestamp';
  return 'string';
}

const COLUMN_TYPE: Readonly<Record<XmlClass, string>> = {
  null: 'VARCHAR',
  long: 'BIGINT',
  double: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
};

/**
 * The columns of XML files (see the module comment), from up to ${INFERENCE_ROWS} row elements.
 * Without `inferColumnTypes` every column is a STRING (a repeated element is refused: sluice does
 * not know Auto Loader's rendering of it). Names differing only by case are refused, and values
 * whose inferred type sluice cannot tell unless `hinted` (lower-case names typed by schemaHints).
 * @throws SluiceError UNSUPPORTED_XML
 */
export async function inferXml(
  conn: DuckDBConnection,
  paths: readonly string[],
  xml: XmlReadOptions,
  inferTypes: boolean,
  hinted: ReadonlySet<string>,
  root?: string,
): Promise<FileColumn[]> {
  await checkXmlFiles(conn, paths, xml, root);
  const sample = `SELECT row_number() OVER () AS __r, __src, __e FROM (${rowsSql(paths, xml)}) LIMIT ${INFERENCE_ROWS}`;
  const entries = `SELECT __r, __src, unnest(__e) AS e FROM (${sample})`;
  const value = entryValue('e', xml, false);
  const rows = await queryRows<{ n: string; cls: string; rep: boolean; src: string; example: string | null }>(
    conn,
    `SELECT n, cls, bool_or(c > 1) AS rep, min(src) AS src, min(example) AS example FROM (` +
      `SELECT e.n AS n, ${classSql('v')} AS cls, count(*) OVER (PARTITION BY __r, lower(e.n)) AS c, __src AS src, v AS example ` +
      `FROM (SELECT __r, __src, e, ${value} AS v FROM (${entries}))) GROUP BY n, cls ORDER BY n, cls`,
  );
  const fields = new Map<string, { name: string; cls: XmlClass; repeated: boolean }>();
  for (const r of rows) {
    const key = r.n.toLowerCase();
    const f = fields.get(key);
    if (f && f.name !== r.n) {
      throw unsupportedXml(
        'names differing only by case',
        `XML file ${displayPath(r.src, root)} has names differing only by case ('${f.name}' and '${r.n}'): Spark reads them as one column named by the first one it meets, which sluice cannot tell`,
        r.src,
      );
    }
    // A column typed by schemaHints (or read as STRING throughout) needs no inferred type.
    if (r.cls === 'ambiguous' && inferTypes && !hinted.has(key)) {
      throw unsupportedXml(
        'value of unknown inferred type',
        `XML file ${displayPath(r.src, root)} has a value of unknown inferred type ('${r.example}' in '${r.n}'): Spark's lenient timestamp inference may read it as a TIMESTAMP, which sluice cannot tell; declare the column's type (schemaHints)`,
        r.src,
      );
    }
    const cls = (r.cls === 'ambiguous' ? 'string' : r.cls) as XmlClass;
    fields.set(key, {
      name: r.n,
      cls: f ? mergeClass(f.cls, cls) : cls,
      repeated: (f?.repeated ?? false) || Boolean(r.rep),
    });
  }
  const columns = [...fields.values()].map((f) => {
    if (f.repeated && !inferTypes) {
      throw unsupportedXml(
        'repeated element without type inference',
        `XML element '${f.name}' repeats within a row and column types are not inferred (cloudFiles.inferColumnTypes false): sluice does not know how Auto Loader renders it; set cloudFiles.inferColumnTypes to true or declare the schema`,
      );
    }
    const type = inferTypes ? COLUMN_TYPE[f.cls] : 'VARCHAR';
    return { name: f.name, type: f.repeated ? `${type}[]` : type };
  });
  return columns.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Refuses schema columns XML cannot fill here: STRUCT and MAP columns (and arrays of them). */
export function checkXmlSchema(schema: FileSchema): void {
  for (const c of schema.columns) {
    const t = parseDuckType(c.type);
    const element = t.kind === 'list' ? t.element : t;
    if (element.kind !== 'scalar') {
      throw unsupportedXml(
        'STRUCT or MAP column',
        `XML source column ${sqlIdent(c.name)} has type ${c.type}: sluice reads XML into scalar columns and arrays of them only`,
      );
    }
  }
}

const INTEGRAL = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT']);
const FLOATING = new Set(['FLOAT', 'DOUBLE', 'REAL']);

/** A scalar XML value `v` (VARCHAR) as `type` by Spark's XML parser (`castTo`), else NULL (rescued). */
function scalarCast(v: string, type: DuckType & { kind: 'scalar' }): string {
  const t = type.text;
  const name = type.name;
  if (name === 'VARCHAR') return v;
  if (INTEGRAL.has(name))
    return `CASE WHEN regexp_full_match(${v}, '[+-]?[0-9]+') THEN TRY_CAST(${v} AS ${t}) END`;
  if (FLOATING.has(name)) {
    return (
      `CASE WHEN ${v} IN ('NaN', 'Infinity', '+Infinity', '-Infinity') THEN TRY_CAST(replace(${v}, '+', '') AS ${t}) ` +
      `WHEN regexp_full_match(${v}, ${sqlString(`${NUMBER_RE}[dDfF]?`)}) THEN TRY_CAST(regexp_replace(${v}, '[dDfF]$', '') AS ${t}) END`
    );
  }
  if (name === 'DECIMAL')
    return `CASE WHEN regexp_full_match(${v}, ${sqlString(NUMBER_RE)}) THEN TRY_CAST(${v} AS ${t}) END`;
  if (name === 'BOOLEAN') {
    return `CASE lower(${v}) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END`;
  }
  if (name === 'DATE')
    return `CASE WHEN regexp_full_match(${v}, ${sqlString(DATE_RE)}) THEN TRY_CAST(${v} AS DATE) END`;
  if (name.startsWith('TIMESTAMP')) {
    return `CASE WHEN regexp_full_match(${v}, ${sqlString(TIMESTAMP_RE)}) THEN TRY_CAST(${v} AS ${t}) END`;
  }
  return `TRY_CAST(${v} AS ${t})`;
}

/**
 * The value of raw XML value `v` (VARCHAR, or VARCHAR[] for an ARRAY column) as `type`, or NULL
 * when Spark's XML parser would not read it into that type (an array whose one element does not
 * convert is NULL as a whole, and rescued).
 */
export function xmlCast(v: string, type: DuckType): string {
  if (type.kind === 'scalar') return scalarCast(v, type);
  if (type.kind === 'list' && type.element.kind === 'scalar') {
    const each = scalarCast('__x0', type.element);
    return `CASE WHEN list_bool_and(list_transform(${v}, __x0 -> __x0 IS NULL OR (${each}) IS NOT NULL)) THEN list_transform(${v}, __x0 -> ${each}) END`;
  }
  return `TRY_CAST(${v} AS ${type.text})`;
}
