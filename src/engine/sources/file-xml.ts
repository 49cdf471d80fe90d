import { stat } from 'node:fs/promises';
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
import {
  ATTRS,
  attributeText,
  badReference,
  CHILD_NAMES,
  CHILD_VALUES,
  contentSql,
  entriesSql,
  escapeRegex,
  paddedSql,
  rowsSql,
  WS,
} from './file-xml-rows.ts';

/**
 * XML files as Spark's XML data source reads them, for the subset sluice can read exactly — all
 * in DuckDB SQL over `read_text` (string splits and list functions, see `file-xml-rows.ts`; no
 * per-row JavaScript):
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
 * references, the characters U+0001–U+0003 (markers here; XML 1.0 allows none of them), and
 * values whose inferred type sluice cannot tell exactly (see `classSql`).
 *
 * Schema inference follows Spark's `XmlInferSchema`: each value is tried as BIGINT, DOUBLE, DATE
 * (`yyyy-MM-dd`), TIMESTAMP, BOOLEAN (`true` / `false`, any case), else STRING; empty values and
 * `nullValue` carry no type; types of a field merge to the narrowest that holds both (BIGINT and
 * DOUBLE → DOUBLE, DATE and TIMESTAMP → TIMESTAMP, any other mix → STRING); a field never seen
 * with a value is a STRING; fields are sorted by name (attributes among them).
 */

/** A timestamp Spark's default parser reads and DuckDB casts alike (ISO date, time, optional zone). */
const TIMESTAMP_RE = `[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?`;
const DATE_RE = `[0-9]{4}-[0-9]{2}-[0-9]{2}`;
const NUMBER_RE = `[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?`;

/** Rows sampled for type inference, in file order. */
const INFERENCE_ROWS = 20000;

/** A value (text `t`, child element `k`) as a column of type `scalar` (or an array's element type) reads it, before conversion. */
function entryValue(t: string, k: string, xml: XmlReadOptions, isString: boolean): string {
  let v = xml.ignoreSurroundingSpaces === true ? `trim(${t}, ${WS})` : t;
  if (xml.nullValue !== undefined) v = `CASE WHEN ${v} = ${sqlString(xml.nullValue)} THEN NULL ELSE ${v} END`;
  // An empty (or blank) child element is NULL unless the column is a STRING (Spark's convertField).
  const isBlank = `(${t} = '' OR (${t}[1] IN (' ', '\t', '\n', '\r') AND trim(${t}, ${WS}) = ''))`;
  return isString ? v : `CASE WHEN ${k} AND ${isBlank} THEN NULL ELSE ${v} END`;
}

/**
 * The raw relation of XML files (see `file-read.ts`): `__v<i>` the VARCHAR value (or VARCHAR[]
 * for an ARRAY column) of each schema column — matched by name case-insensitively; the last
 * occurrence for a scalar column, as Spark keeps —, `__x` the fields the schema lacks as a JSON
 * object (a repeated one as an array).
 */
export function xmlRawSql(paths: readonly string[], schema: FileSchema, xml: XmlReadOptions): string {
  const known = schema.columns.map((c) => c.name.toLowerCase());
  // Each entry as a STRING column (`__es`) and as any other column (`__eo`) reads it.
  const asString = (texts: string, isChild: boolean) => {
    const v = entryValue('t', String(isChild), xml, true);
    return v === 't' ? texts : `list_transform(${texts}, t -> ${v})`;
  };
  const asOther = (texts: string, isChild: boolean) =>
    `list_transform(${texts}, t -> ${entryValue('t', String(isChild), xml, false)})`;
  const both = (f: (texts: string, isChild: boolean) => string) =>
    xml.excludeAttribute ? f('__ct', true) : `list_concat(${f('__at', false)}, ${f('__ct', true)})`;
  const values = schema.columns.map((c, i) => {
    const t = parseDuckType(c.type);
    const element = t.kind === 'list' ? t.element : t;
    const from = element.kind === 'scalar' && element.name === 'VARCHAR' ? '__es' : '__eo';
    const name = sqlString(c.name.toLowerCase());
    return t.kind === 'list'
      ? `CASE WHEN list_contains(__el, ${name}) THEN list_where(${from}, list_transform(__el, n -> n = ${name})) END AS __v${i}`
      : `${from}[len(__el) + 1 - list_position(__rl, ${name})] AS __v${i}`;
  });
  const knownList = `${sqlString(JSON.stringify(known))}::VARCHAR[]`;
  const unknownNames = `list_distinct(list_where(__en, list_transform(__el, n -> NOT list_contains(${knownList}, n))))`;
  const same = `list_where(__et, list_transform(__en, m -> m = u))`;
  const rescued = `CASE WHEN len(${same}) = 1 THEN to_json((${same})[1]) ELSE to_json(${same}) END`;
  const unknown =
    `CASE WHEN NOT list_has_all(${knownList}, __el) THEN to_json(map_from_entries(list_transform(` +
    `${unknownNames}, u -> {'k': u, 'v': ${rescued}})))::JSON END`;
  const e = entriesSql(xml);
  const entries =
    `SELECT *, list_reverse(__el) AS __rl FROM (SELECT __src, __en, __et, list_transform(__en, n -> lower(n)) AS __el, __es, __eo FROM (` +
    `SELECT __src, ${e.names} AS __en, ${e.texts} AS __et, ${both(asString)} AS __es, ${both(asOther)} AS __eo ` +
    `FROM (${rowsSql(paths, xml)})))`;
  return (
    `SELECT __src, NULL::VARCHAR AS __bad, ${unknown} AS __x${values.map((v) => `, ${v}`).join('')} ` +
    `FROM (${entries})`
  );
}

/** The names sluice reads: plain ASCII XML names, no namespace prefix (`p:a`) or declaration (`xmlns`). */
const NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
const odd = (x: string) => `(NOT regexp_full_match(${x}, '${NAME}') OR ${x} = 'xmlns')`;

/**
 * Queries over `paths` giving the constructs outside the subset (see the module comment):
 * `{src, construct, detail}`, the first one of each file, then of each row element — one pass
 * over the files, one over their rows. A row is first tested by a few conditions that hold for
 * nearly every row sluice reads (one automaton match of its content without captures, list
 * functions over its tokens); only a row failing them is tested construct by construct, in order.
 */
function checkSql(paths: readonly string[], xml: XmlReadOptions): [string, string] {
  const tag = escapeRegex(xml.rowTag);
  const decl = `regexp_matches(__c, '^\\x{FEFF}?\\s*<\\?xml[\\s?]')`;
  const encoding = `lower(regexp_extract(__c, '^\\x{FEFF}?\\s*<\\?xml[^>]*?encoding\\s*=\\s*["'']([^"'']*)', 1))`;
  const fileChecks: [string, string, string][] = [
    [`${encoding} NOT IN ('', 'utf-8', 'utf8')`, 'encoding', encoding],
    [`contains(__c, '<!DOCTYPE')`, 'DOCTYPE declaration', `''`],
    [`contains(__c, '<!--')`, 'comment that is not closed', `''`],
    // U+0001–U+0003 mark comments and row elements (XML 1.0 allows none of them).
    [
      `regexp_matches(__raw, '[\\x01-\\x03]')`,
      'control character',
      `printf('U+%04X', unicode(regexp_extract(__raw, '[\\x01-\\x03]')))`,
    ],
    [`contains(__c, '<![CDATA[')`, 'CDATA section', `''`],
    [
      `contains(CASE WHEN ${decl} THEN substr(__c, strpos(__c, '?>') + 2) ELSE __c END, '<?')`,
      'processing instruction',
      `''`,
    ],
    // Spark's record readers have differed on `<row/>`: refused rather than guessed.
    [`regexp_matches(__c, ${sqlString(`<${tag}${ATTRS}\\s*/>`)})`, 'self-closing row element', `''`],
  ];
  // Text-only children (with any names and attributes; refused below) among blanks and comments.
  const flat = sqlString(`[\\s\\x01]*(?:<[^\\s/<>]+${ATTRS}\\s*(?:>[^<]*</[^\\s<>]+\\s*>|/>)[\\s\\x01]*)*`);
  // The same with plain names, no attributes and no comment inside a value: nearly every row.
  const plain = sqlString(`[\\s\\x01]*(?:<${NAME}\\s*(?:>[^<\\x01]*</${NAME}\\s*>|/>)[\\s\\x01]*)*`);
  // Given `flat`, each end tag follows its start tag (`quickMismatched`: no whitespace in tags either).
  const ends = (trimmed: boolean) => {
    const t = (x: string) => (trimmed ? `rtrim(${x}, ${WS})` : x);
    const opened = `list_transform(list_filter(__hs, h -> NOT h ^@ '/' AND NOT suffix(h, '/')), h -> ${t('h')})`;
    return `${opened} <> list_transform(list_filter(__hs, h -> h ^@ '/'), h -> ${t('substr(h, 2)')})`;
  };
  const mismatched = ends(true);
  const quickMismatched = ends(false);
  const withAttributes = `list_filter(${CHILD_NAMES}, n -> regexp_matches(n, '\\s'))`;
  const badName = sqlString(`<(?:/?[^/A-Za-z_]|/?${NAME}[^A-Za-z0-9_.\\-\\s/>]|/?xmlns[\\s/>])`);
  const badAttribute = `list_bool_or(list_transform(__an, x -> ${odd('x')}))`;
  const reference = badReference(`__a || __i`);
  const ltInAttribute = `list_bool_or(list_transform(__av, x -> contains(x, '<') OR contains(x, chr(1))))`;
  const repeated = `len(list_distinct(__an)) <> len(__an)`;
  // Values read (attributes' too unless excluded) with surrounding whitespace once decoded; each
  // list tested only where an automaton match of the row's text finds a candidate.
  const paddedValue = `list_bool_or(list_transform(${CHILD_VALUES}, v -> ${paddedSql('v')}))`;
  const paddedAttribute = `list_bool_or(list_transform(__av, q -> ${paddedSql(attributeText('q'))}))`;
  const padded =
    `(CASE WHEN regexp_matches(__i, '>(?:\\s|&#)[^<]*</|(?:\\s|;)</') THEN ${paddedValue} ELSE false END` +
    (xml.excludeAttribute
      ? ')'
      : ` OR CASE WHEN regexp_matches(__a, '=\\s*["''](?:\\s|&#)|(?:\\s|;)["''](?:\\s|$)') THEN ${paddedAttribute} ELSE false END)`);
  const e = entriesSql(xml);
  const rawTexts = xml.excludeAttribute
    ? CHILD_VALUES
    : `list_concat(list_transform(__av, q -> ${attributeText('q')}), ${CHILD_VALUES})`;
  const spaces = xml.ignoreSurroundingSpaces === undefined;
  const rowChecks: [string, string, string][] = [
    [`NOT __open`, 'unclosed or nested row element', `''`],
    [
      `NOT regexp_full_match(__i, ${flat})`,
      `text or a nested element inside <${xml.rowTag}> (a STRUCT or mixed content)`,
      `left(trim(__i, ${WS}), 60)`,
    ],
    [
      `list_bool_or(list_transform(${CHILD_VALUES}, v -> contains(v, chr(1))))`,
      'comment inside a value',
      `list_filter(${CHILD_NAMES}, (n, i) -> contains(${CHILD_VALUES}[i], chr(1)))[1]`,
    ],
    [
      `len(${withAttributes}) > 0`,
      'attributes on a child element (a STRUCT)',
      `split_part(translate(${withAttributes}[1], chr(9) || chr(10) || chr(13), '   '), ' ', 1)`,
    ],
    [mismatched, 'mismatched tags', `''`],
    [
      `regexp_matches(__i, ${badName}) OR ${badAttribute}`,
      'namespace or a name outside [A-Za-z_][A-Za-z0-9_.-]*',
      `list_filter(list_concat(${CHILD_NAMES}, __an), x -> ${odd('x')})[1]`,
    ],
    [repeated, 'repeated attribute', `''`],
    [`${reference} IS NOT NULL`, 'entity reference other than the predefined ones', reference],
    [ltInAttribute, '< in an attribute value', `''`],
    ...(spaces
      ? ([
          [
            padded,
            'value with surrounding whitespace (set ignoreSurroundingSpaces)',
            `list_filter(${e.names}, (n, i) -> ${paddedSql(`(${rawTexts})[i]`)})[1]`,
          ],
        ] as [string, string, string][])
      : []),
  ];
  // Rows that pass all checks: the plain shape, then the checks `plain` does not cover.
  const fine =
    `__open AND regexp_full_match(__i, ${plain}) AND NOT contains(__i, '<xmlns') AND NOT ${quickMismatched} ` +
    `AND (len(__an) = 0 OR NOT (${badAttribute} OR ${repeated} OR ${ltInAttribute})) AND ${reference} IS NULL` +
    (spaces ? ` AND NOT (${padded})` : '');
  // The first failing check of a file or row (CASE tests in order); the detail is computed for
  // the one row returned only.
  const first = (checks: readonly [string, string, string][], from: string, pass: string) =>
    `SELECT __src AS src, construct, CASE construct ${checks
      .map(([, construct, detail]) => `WHEN ${sqlString(construct)} THEN (${detail})::VARCHAR`)
      .join(' ')} END AS detail FROM (` +
    `SELECT *, CASE WHEN ${pass} THEN NULL ${checks.map(([cond, construct]) => `WHEN ${cond} THEN ${sqlString(construct)}`).join(' ')} END AS construct ` +
    `FROM (${from})) WHERE construct IS NOT NULL LIMIT 1`;
  // Two queries: the files' checks, then the rows' (as one UNION ALL, DuckDB ran several times slower).
  return [first(fileChecks, contentSql(paths), 'false'), first(rowChecks, rowsSql(paths, xml), fine)];
}

/** Files remembered as checked: a continuous update keeps at most this many. */
const CHECKED_KEPT = 10_000;

/**
 * The XML files that passed the subset checks in one update (owned by its context), so the files
 * a micro-batch's schema inference checked are not checked again by the batch that reads them.
 *
 * Invariant: a file counts as checked only with the same path, size, modification time and
 * options as when it passed — a file rewritten in between is checked again. Failures are not
 * remembered. Only the last {@link CHECKED_KEPT} files are kept.
 */
export class XmlCheckedFiles {
  readonly #ids = new Set<string>();

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(ids: readonly (string | undefined)[]): void {
    for (const id of ids) if (id !== undefined) this.#ids.add(id);
    while (this.#ids.size > CHECKED_KEPT) this.#ids.delete(this.#ids.values().next().value!);
  }
}

/** Each file's identity for `XmlCheckedFiles` (undefined when it cannot be stat'ed: checked every time). */
async function fileIdentities(
  paths: readonly string[],
  xml: XmlReadOptions,
): Promise<(string | undefined)[]> {
  const options = JSON.stringify(xml);
  return Promise.all(
    paths.map(async (p) => {
      try {
        const s = await stat(p);
        return JSON.stringify([p, s.size, s.mtimeMs, options]);
      } catch {
        return undefined;
      }
    }),
  );
}

/**
 * Refuses files with a construct outside the subset (see the module comment), naming the first
 * such file and construct; files in `checked` are not checked again, those that pass are added.
 * @throws SluiceError UNSUPPORTED_XML
 */
export async function checkXmlFiles(
  conn: DuckDBConnection,
  paths: readonly string[],
  xml: XmlReadOptions,
  root?: string,
  checked?: XmlCheckedFiles,
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
  const identities = await fileIdentities(paths, xml);
  const unchecked = paths.filter((_, i) => identities[i] === undefined || !checked?.has(identities[i]));
  if (unchecked.length === 0) return;
  let found: { src: string; construct: string; detail: string | null } | undefined;
  for (const sql of checkSql(unchecked, xml)) {
    [found] = await queryRows<{ src: string; construct: string; detail: string | null }>(conn, sql);
    if (found !== undefined) break;
  }
  if (found === undefined) {
    checked?.add(identities);
    return;
  }
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
  checked?: XmlCheckedFiles,
): Promise<FileColumn[]> {
  await checkXmlFiles(conn, paths, xml, root, checked);
  const e = entriesSql(xml);
  const sample =
    `SELECT row_number() OVER () AS __r, __src, ${e.names} AS __en, ${e.texts} AS __et, ${e.isChild} AS __ek ` +
    `FROM (SELECT * FROM (${rowsSql(paths, xml)}) LIMIT ${INFERENCE_ROWS})`;
  const entries = `SELECT __r, __src, unnest(__en) AS n, unnest(__et) AS t, unnest(__ek) AS k FROM (${sample})`;
  const value = entryValue('t', 'k', xml, false);
  const rows = await queryRows<{ n: string; cls: string; rep: boolean; src: string; example: string | null }>(
    conn,
    `SELECT n, cls, bool_or(c > 1) AS rep, min(src) AS src, min(example) AS example FROM (` +
      `SELECT n, ${classSql('v')} AS cls, count(*) OVER (PARTITION BY __r, lower(n)) AS c, __src AS src, v AS example ` +
      `FROM (SELECT __r, __src, n, ${value} AS v FROM (${entries}))) GROUP BY n, cls ORDER BY n, cls`,
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
