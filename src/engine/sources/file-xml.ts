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
import { nestedColumns, type XmlOccurrences, xmlOccurrences } from './file-xml-nested.ts';
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
import { nestedRawSql } from './file-xml-tree.ts';
import { COLUMN_TYPE, classSql, entryValue, mergeClass, type XmlClass } from './file-xml-values.ts';

/**
 * XML files as Spark's XML data source reads them, for the subset sluice can read exactly — all
 * in DuckDB SQL over `read_text` (string splits and list functions, see `file-xml-rows.ts`; no
 * per-row JavaScript):
 * - every `<rowTag …>…</rowTag>` anywhere in a file is a row; text outside row elements is
 *   ignored;
 * - the row element's attributes are columns named `attributePrefix` + name (unless
 *   `excludeAttribute`); its children are columns; a child repeated within a row is an ARRAY;
 *   a child with children or attributes is a STRUCT (rows with such children are read by
 *   `file-xml-tree.ts` and typed by `file-xml-nested.ts`; flat rows by the faster SQL here);
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
 * Spark's record readers have differed on them), text beside child elements (mixed content), row
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

/** Rows sampled for type inference, in file order. */
const INFERENCE_ROWS = 20000;

/**
 * The raw relation of XML files (see `file-read.ts`): `__v<i>` the VARCHAR value (or VARCHAR[]
 * for an ARRAY column) of each schema column — matched by name case-insensitively; the last
 * occurrence for a scalar column, as Spark keeps —, `__x` the fields the schema lacks as a JSON
 * object (a repeated one as an array).
 */
export function xmlRawSql(
  paths: readonly string[],
  schema: FileSchema,
  xml: XmlReadOptions,
  nested = false,
): string {
  const hasStruct = (t: DuckType): boolean =>
    t.kind === 'struct' || (t.kind === 'list' && hasStruct(t.element));
  if (nested || schema.columns.some((c) => hasStruct(parseDuckType(c.type)))) {
    return nestedRawSql(paths, schema, xml);
  }
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

/** One attribute: name (group 1), quoted value (group 2). */
const ATTR_RE = `([^\\s=/<>]+)\\s*=\\s*("[^"]*"|'[^']*')`;
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
    // Trimmed: names only (a start tag's attributes dropped).
    const name = (h: string) => (trimmed ? `regexp_extract(${h}, '^[^\\s/>]+')` : h);
    const opened = `list_transform(list_filter(__hs, h -> NOT h ^@ '/' AND NOT suffix(h, '/')), h -> ${name('h')})`;
    return `${opened} <> list_transform(list_filter(__hs, h -> h ^@ '/'), h -> ${t('substr(h, 2)')})`;
  };
  const mismatched = ends(true);
  const quickMismatched = ends(false);
  // Nested rows (see `file-xml-tree.ts`): child elements among blanks and comments, text only in
  // elements without children (text mixed with elements is refused).
  const nestedShape = sqlString(
    `(?:[\\s\\x01]|<[^\\s/<>]+${ATTRS}\\s*/>|<[^\\s/<>]+${ATTRS}\\s*>(?:[^<]*</[^\\s<>]+\\s*>)?|</[^\\s<>]+\\s*>)*`,
  );
  const isFlat = `regexp_full_match(__i, ${flat})`;
  const withAttributes = `list_filter(${CHILD_NAMES}, n -> regexp_matches(n, '\\s'))`;
  // The tokens of the content, each start tag's text, and the elements without children.
  const tokens = `__k`;
  const leaf = `COALESCE(${tokens}[i + 1] ^@ '/', false)`;
  const tokenText = `substr(x, strpos(x, '>') + 1)`;
  const leafValues = `list_transform(list_filter(${tokens}, (x, i) -> NOT x ^@ '/' AND ${leaf}), x -> ${tokenText})`;
  const leafNames = `list_transform(list_filter(${tokens}, (x, i) -> NOT x ^@ '/' AND ${leaf}), x -> regexp_extract(x, '^[^\\s/>]+'))`;
  const commented = `(contains(${tokenText}, chr(1)) AND (${leaf} OR trim(${tokenText}, ${WS} || chr(1)) <> ''))`;
  const commentInValue = `list_filter(${tokens}, (x, i) -> NOT x ^@ '/' AND ${commented})`;
  // Child elements' attributes (the tag text up to its first `>` holds them all).
  const childTags = `list_transform(list_filter(${tokens}, x -> NOT x ^@ '/'), x -> split_part(x, '>', 1))`;
  const childAttrNames = (h: string) => `regexp_extract_all(${h}, ${sqlString(ATTR_RE)}, 1)`;
  const childAttrValues = (h: string) => `regexp_extract_all(${h}, ${sqlString(ATTR_RE)}, 2)`;
  const childTagBroken = `list_filter(${childTags}, h -> NOT regexp_full_match(h, ${sqlString(`[^\\s/<>]+${ATTRS}\\s*/?`)}))`;
  const childAttrOdd = `list_filter(flatten(list_transform(${childTags}, h -> ${childAttrNames('h')})), x -> ${odd('x')})`;
  const childAttrRepeated = `list_bool_or(list_transform(${childTags}, h -> len(list_distinct(${childAttrNames('h')})) <> len(${childAttrNames('h')})))`;
  const childAttrPadded = `list_filter(${childTags}, h -> list_bool_or(list_transform(${childAttrValues('h')}, q -> ${paddedSql(attributeText('q'))})))`;
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
  // Padded values of nested rows: leaf texts and child elements' attributes (row attributes as above).
  const paddedLeaf =
    `(list_bool_or(list_transform(${leafValues}, v -> ${paddedSql('v')}))` +
    (xml.excludeAttribute ? ')' : ` OR ${paddedAttribute} OR len(${childAttrPadded}) > 0)`);
  const paddedLeafDetail = `COALESCE(list_filter(${leafNames}, (n, i) -> ${paddedSql(`(${leafValues})[i]`)})[1], __an[1], regexp_extract(${childAttrPadded}[1], '^[^\\s/>]+'))`;
  const rowChecks: [string, string, string][] = [
    [`NOT __open`, 'unclosed or nested row element', `''`],
    [
      `NOT regexp_full_match(__i, ${nestedShape})`,
      `text mixed with child elements inside <${xml.rowTag}> (mixed content)`,
      `left(trim(__i, ${WS}), 60)`,
    ],
    [
      `len(${commentInValue}) > 0`,
      'comment inside a value',
      `regexp_extract(${commentInValue}[1], '^[^\\s/>]+')`,
    ],
    [`${isFlat} AND ${mismatched}`, 'mismatched tags', `''`],
    [
      `len(${childTagBroken}) > 0`,
      '< or > in an attribute value',
      `regexp_extract(${childTagBroken}[1], '^[^\\s/>]+')`,
    ],
    [
      `regexp_matches(__i, ${badName}) OR ${badAttribute} OR len(${childAttrOdd}) > 0`,
      'namespace or a name outside [A-Za-z_][A-Za-z0-9_.-]*',
      `list_filter(list_concat(list_concat(${CHILD_NAMES}, __an), ${childAttrOdd}), x -> ${odd('x')})[1]`,
    ],
    [`${repeated} OR ${childAttrRepeated}`, 'repeated attribute', `''`],
    [`${reference} IS NOT NULL`, 'entity reference other than the predefined ones', reference],
    [ltInAttribute, '< in an attribute value', `''`],
    ...(spaces
      ? ([
          [
            `CASE WHEN ${isFlat} THEN ${padded}${xml.excludeAttribute ? '' : ` OR len(${childAttrPadded}) > 0`} ELSE ${paddedLeaf} END`,
            'value with surrounding whitespace (set ignoreSurroundingSpaces)',
            `CASE WHEN ${isFlat} THEN COALESCE(list_filter(${e.names}, (n, i) -> ${paddedSql(`(${rawTexts})[i]`)})[1], regexp_extract(${childAttrPadded}[1], '^[^\\s/>]+')) ELSE ${paddedLeafDetail} END`,
          ],
        ] as [string, string, string][])
      : []),
    // Not a refusal: a row with nested elements, read by `file-xml-tree.ts` (returned last).
    [`NOT ${isFlat} OR len(${withAttributes}) > 0`, NESTED, `''`],
  ];
  // Nested rows that pass all checks (see `fine`): plain names, attribute values without
  // references, `<`, `>` or surrounding whitespace, text only in elements without children.
  const value = (q: string) => `${q}(?:[^${q}<>&\\s](?:[^${q}<>&]*[^${q}<>&\\s])?)?${q}`;
  const plainAttrs = `(?:\\s+${NAME}\\s*=\\s*(?:${value('"')}|${value("'")}))*`;
  const plainNested = sqlString(
    `(?:[\\s\\x01]|<${NAME}${plainAttrs}\\s*/>|<${NAME}${plainAttrs}\\s*>(?:[^<\\x01]*</${NAME}\\s*>)?|</${NAME}\\s*>)*`,
  );
  const leafPadded =
    `CASE WHEN regexp_matches(__i, ${sqlString(`<[^/<>](?:[^<>]*[^/<>])?>(?:(?:\\s|&#)[^<]*|[^<]*(?:\\s|;))</`)}) ` +
    `THEN list_bool_or(list_transform(${leafValues}, v -> ${paddedSql('v')})) ELSE false END`;
  const rowAttrPadded = xml.excludeAttribute
    ? 'false'
    : `CASE WHEN regexp_matches(__a, '=\\s*["''](?:\\s|&#)|(?:\\s|;)["''](?:\\s|$)') THEN ${paddedAttribute} ELSE false END`;
  const fineNested =
    `__open AND regexp_full_match(__i, ${plainNested}) AND NOT contains(__i, 'xmlns') ` +
    `AND (len(__an) = 0 OR NOT (${badAttribute} OR ${repeated} OR ${ltInAttribute})) AND ${reference} IS NULL ` +
    `AND NOT CASE WHEN regexp_matches(__i, '<[^<>/]*=[^<>]*=') THEN ${childAttrRepeated} ELSE false END` +
    (spaces ? ` AND NOT (${leafPadded}) AND NOT (${rowAttrPadded})` : '');
  // Rows that pass all checks: the plain shape, then the checks `plain` does not cover.
  const fine =
    `__open AND regexp_full_match(__i, ${plain}) AND NOT contains(__i, '<xmlns') AND NOT ${quickMismatched} ` +
    `AND (len(__an) = 0 OR NOT (${badAttribute} OR ${repeated} OR ${ltInAttribute})) AND ${reference} IS NULL` +
    (spaces ? ` AND NOT (${padded})` : '');
  // The first failing check of a file or row (CASE tests in order); the detail is computed for
  // the one row returned only. Rows: those failing `fine` alone get their tokens (`__k`) for the
  // checks that need them, and a nested row (no refusal) comes after any refused one.
  const detailOf = (checks: readonly [string, string, string][]) =>
    `CASE construct ${checks
      .map(([, construct, detail]) => `WHEN ${sqlString(construct)} THEN (${detail})::VARCHAR`)
      .join(' ')} END`;
  const constructOf = (checks: readonly [string, string, string][]) =>
    checks.map(([cond, construct]) => `WHEN ${cond} THEN ${sqlString(construct)}`).join(' ');
  const files =
    `SELECT __src AS src, construct, ${detailOf(fileChecks)} AS detail FROM (` +
    `SELECT *, CASE ${constructOf(fileChecks)} END AS construct FROM (${contentSql(paths)})) ` +
    `WHERE construct IS NOT NULL LIMIT 1`;
  const rows =
    `SELECT __src AS src, construct, ${detailOf(rowChecks)} AS detail FROM (` +
    `SELECT *, CASE WHEN ${fineNested} THEN ${sqlString(NESTED)} ${constructOf(rowChecks)} END AS construct ` +
    `FROM (SELECT *, string_split(__i, '<')[2:] AS __k FROM (${rowsSql(paths, xml)}) WHERE NOT (${fine}))) ` +
    `WHERE construct IS NOT NULL ORDER BY construct = ${sqlString(NESTED)} LIMIT 1`;
  // Two queries: the files' checks, then the rows' (as one UNION ALL, DuckDB ran several times slower).
  return [files, rows];
}

/** The construct `checkSql` returns for a row with nested elements (no refusal). */
const NESTED = 'nested elements';

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
  /** Each checked file's identity → whether it was checked among files with nested rows. */
  readonly #ids = new Map<string, boolean>();

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Whether the file was checked among files with nested rows (undefined: not checked). */
  nested(id: string): boolean | undefined {
    return this.#ids.get(id);
  }

  /** The occurrences of all rows of one set of files (the last one kept), for the batch reading them. */
  #occurrences: { key: string; found: XmlOccurrences } | undefined;

  async keepOccurrences(paths: readonly string[], xml: XmlReadOptions, found: XmlOccurrences): Promise<void> {
    const key = await occurrencesKey(paths, xml);
    this.#occurrences = key === undefined ? undefined : { key, found };
  }

  /** The kept occurrences of exactly `paths`, unchanged since (same identities), if any. */
  async occurrencesOf(paths: readonly string[], xml: XmlReadOptions): Promise<XmlOccurrences | undefined> {
    const o = this.#occurrences;
    return o !== undefined && o.key === (await occurrencesKey(paths, xml)) ? o.found : undefined;
  }

  add(ids: readonly (string | undefined)[], nested = false): void {
    for (const id of ids) if (id !== undefined) this.#ids.set(id, nested);
    while (this.#ids.size > CHECKED_KEPT) this.#ids.delete(this.#ids.keys().next().value!);
  }
}

/** The key of a set of files' occurrences: their identities, sorted (none when one cannot be stat'ed). */
async function occurrencesKey(paths: readonly string[], xml: XmlReadOptions): Promise<string | undefined> {
  const ids = await fileIdentities(paths, xml);
  return ids.some((id) => id === undefined) ? undefined : JSON.stringify(ids.sort());
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
 * Returns whether some file has rows with nested elements (child elements with children or
 * attributes), which `file-xml-tree.ts` reads; their nesting is checked where they are typed or
 * read (`xmlOccurrences`).
 * @throws SluiceError UNSUPPORTED_XML
 */
export async function checkXmlFiles(
  conn: DuckDBConnection,
  paths: readonly string[],
  xml: XmlReadOptions,
  root?: string,
  checked?: XmlCheckedFiles,
): Promise<boolean> {
  if (paths.length === 0) return false;
  const compressed = paths.find((p) => /\.(gz|gzip|zst|zstd|bz2|snappy|lz4|deflate)$/i.test(p));
  if (compressed !== undefined) {
    throw unsupportedXml(
      'compression',
      `XML file ${displayPath(compressed, root)} is compressed: sluice reads XML files uncompressed`,
      compressed,
    );
  }
  const identities = await fileIdentities(paths, xml);
  const isUnchecked = (i: number) => identities[i] === undefined || !checked?.has(identities[i]);
  const unchecked = paths.filter((_, i) => isUnchecked(i));
  const nestedBefore = identities.some((id, i) => !isUnchecked(i) && checked?.nested(id!) === true);
  if (unchecked.length === 0) return nestedBefore;
  let found: { src: string; construct: string; detail: string | null } | undefined;
  for (const sql of checkSql(unchecked, xml)) {
    [found] = await queryRows<{ src: string; construct: string; detail: string | null }>(conn, sql);
    if (found !== undefined) break;
  }
  const nested = found?.construct === NESTED;
  if (nested) found = undefined;
  if (found === undefined) {
    checked?.add(
      identities.filter((_, i) => isUnchecked(i)),
      nested,
    );
    return nested || nestedBefore;
  }
  const detail = found.detail ? ` (${found.detail})` : '';
  throw unsupportedXml(
    found.construct,
    `XML file ${displayPath(found.src, root)} has a ${found.construct}${detail}: sluice reads only row elements ` +
      `<${xml.rowTag}> of well-formed elements, and refuses what it cannot read exactly as Spark does`,
    found.src,
  );
}

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
  if (await checkXmlFiles(conn, paths, xml, root, checked)) {
    const found = await xmlOccurrences(conn, paths, xml, INFERENCE_ROWS, root);
    // All rows were read: the batch reading the same files needs no second scan (`checkNestedFit`).
    if (found.rows < INFERENCE_ROWS) await checked?.keepOccurrences(paths, xml, found);
    return nestedColumns(found.occurrences, xml, inferTypes, hinted, root);
  }
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

/** Refuses schema columns XML cannot fill here: MAP columns (and arrays and structs holding them). */
export function checkXmlSchema(schema: FileSchema): void {
  const hasMap = (t: DuckType): boolean =>
    t.kind === 'map' ||
    (t.kind === 'list' && hasMap(t.element)) ||
    (t.kind === 'struct' && t.fields.some((f) => hasMap(f.type)));
  for (const c of schema.columns) {
    if (hasMap(parseDuckType(c.type))) {
      throw unsupportedXml(
        'MAP column',
        `XML source column ${sqlIdent(c.name)} has type ${c.type}: sluice reads XML into scalars, arrays and structs only`,
      );
    }
  }
}
