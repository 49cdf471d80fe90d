import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { CompiledQuery } from '../model/index.ts';
import { ANSI_MODE, type SqlMode } from './ansi-mode.ts';
import { type AstNode, isNode, type Json, nodes, statementJson, str } from './ast.ts';
import { legacyDecimalText } from './cast-legacy.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import { expandSlidingWindows, sessionWindowRefusal } from './functions/event-time.ts';
import { resolveWithoutTypes } from './legacy-markers.ts';
import { nameOutputColumns } from './output-names.ts';
import { prepassSparkSql } from './prepass.ts';
import { statefulOperations } from './stateful.ts';
import { streamJoinPlanOf } from './stream-join.ts';
import { statefulPlanOf } from './streaming-aggregate.ts';
import { identityMap, type OffsetMap, substituteConfiguration, unsafeValueError } from './substitute.ts';
import { LineIndex, tokenize } from './tokenizer.ts';
import { AstTranslator, outputColumnsOf, type TableReference } from './translate.ts';
import type { FileFormatDetector } from './types.ts';

/**
 * Where a piece of SQL text sits in its file: `locate(offset)` gives the file position of a
 * character offset of `text`. Lets errors deep inside a query point at the user's line:column.
 */
export interface PlacedText {
  readonly text: string;
  readonly locate: (offset: number) => SourceLocation | undefined;
}

/** Places `text` that starts at `start` in a file (line/column 1-based), via an offset map. */
export function placeText(
  text: string,
  start: SourceLocation | undefined,
  map: OffsetMap = identityMap,
): PlacedText {
  if (!start) return { text, locate: () => undefined };
  let index: LineIndex | undefined;
  return {
    text,
    locate: (offset) => {
      index ??= new LineIndex(text);
      const { line, column } = index.lineCol(map(offset));
      return {
        file: start.file,
        line: start.line + line - 1,
        column: line === 1 ? (start.column ?? 1) + column - 1 : column,
      };
    },
  };
}

function byteToChar(text: string, byteOffset: number): number {
  if (/^[\x00-\x7f]*$/.test(text)) return byteOffset;
  return Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').length;
}

/**
 * The character offset in `text` of a DuckDB syntax error. DuckDB reports a byte offset, but
 * not consistently once non-ASCII text precedes it, so the candidate that actually starts with
 * the token the message names ("at or near \"x\"") wins, else the nearest occurrence of it.
 */
function errorOffset(text: string, position: number, message: string): number | undefined {
  if (!Number.isFinite(position)) return undefined;
  const near = /at or near "(.*)"$/.exec(message)?.[1];
  const candidates = [byteToChar(text, position), position];
  if (!near) return candidates[0];
  const hit = candidates.find((c) => text.startsWith(near, c));
  if (hit !== undefined) return hit;
  const before = text.lastIndexOf(near, position);
  const after = text.indexOf(near, position);
  if (before < 0) return after < 0 ? candidates[0] : after;
  if (after < 0) return before;
  return position - before <= after - position ? before : after;
}

/** The source text at `offset` up to the next whitespace (what a syntax error is "near"). */
function nearText(text: string, offset: number): string {
  if (offset >= text.length) return '<end of input>';
  const m = /^\S+/.exec(text.slice(offset, offset + 40));
  return m ? m[0] : text.slice(offset, offset + 1);
}

interface Parsed {
  readonly statements: AstNode[];
  /** Maps a DuckDB byte offset in the parsed text to a location in the user's file. */
  readonly locate: (byteOffset: number | undefined) => SourceLocation | undefined;
  /** Maps a DuckDB byte offset in the parsed text to a character offset of the user's text. */
  readonly sourceOffset: (byteOffset: number) => number;
}

/**
 * Pre-passes and parses Spark SQL with DuckDB. `prefix` is prepended to the pre-passed text
 * (e.g. `SELECT ` to parse a bare expression) and excluded from position mapping.
 */
async function parseSpark(codec: SqlCodec, src: PlacedText, prefix = ''): Promise<Parsed> {
  const pre = prepassSparkSql(src.text, src.locate);
  const syntaxError = (offset: number, detail: string): SluiceError => {
    const near = nearText(src.text, offset);
    const location = src.locate(offset);
    return new SluiceError('SQL_SYNTAX_ERROR', `${detail} (near '${near}')`, {
      params: { near, detail },
      ...(location ? { location } : {}),
    });
  };
  if (pre.error) throw syntaxError(pre.error.offset, pre.error.message);
  const parsedText = prefix + pre.text;
  const toSource = (byteOffset: number): number =>
    pre.map(Math.max(0, byteToChar(parsedText, byteOffset) - prefix.length));
  const result = JSON.parse(await codec.serialize(parsedText)) as AstNode;
  if (result.error === true) {
    const detail = str(result, 'error_message') || 'syntax error';
    if (str(result, 'error_type') === 'not implemented') {
      throw new SluiceError(
        'SQL_UNSUPPORTED_STATEMENT',
        `only queries (SELECT …) are allowed here: ${detail}`,
        {
          params: { detail },
          ...(src.locate(0) ? { location: src.locate(0)! } : {}),
        },
      );
    }
    const position = str(result, 'position') === '' ? Number.NaN : Number(str(result, 'position'));
    const at = errorOffset(parsedText, position, detail);
    if (at === undefined || at >= parsedText.length) throw syntaxError(src.text.trimEnd().length, detail);
    throw syntaxError(pre.map(Math.max(0, at - prefix.length)), detail);
  }
  const statements = (Array.isArray(result.statements) ? result.statements : [])
    .filter(isNode)
    .map((s) => (isNode(s.node) ? s.node : s));
  return {
    statements,
    locate: (b) => (b === undefined ? src.locate(0) : src.locate(toSource(b))),
    sourceOffset: toSource,
  };
}

function toSql(codec: SqlCodec, node: AstNode): Promise<string> {
  return codec.deserialize(statementJson(node));
}

/** Whether a translated query holds a marker of a non-ANSI conversion (legacy-marker-nodes.ts). */
function holdsLegacyMarkers(root: AstNode): boolean {
  return /"function_name":"__sluice_legacy_(?:cast|text)"/i.test(JSON.stringify(root));
}

/**
 * What a compiled query's output is for: `dataset` — the rows a written dataset (table, flow) is
 * made of, whose columns must all be named (output-names.ts: an unaliased computed item is
 * UNALIASED_EXPRESSION) with names Delta accepts; `view` — a view's rows, named the same way but
 * never written (their names are checked where a table writes them); `any` — a query whose
 * column names nobody keeps (a function's example).
 */
export type QueryOutput = 'dataset' | 'view' | 'any';

/**
 * Compiles an already-substituted query body placed in its file (see `compileQuery`), with ANSI
 * mode on or off (`mode`, see ansi-mode.ts). Used by the SQL file parser, which substitutes
 * whole statements itself.
 */
export async function compilePlacedQuery(
  codec: SqlCodec,
  src: PlacedText,
  detectFormat?: FileFormatDetector,
  mode: SqlMode = ANSI_MODE,
  output: QueryOutput = 'any',
): Promise<CompiledQuery> {
  const parsed = await parseSpark(codec, src);
  if (parsed.statements.length !== 1) {
    const location = src.locate(0);
    throw new SluiceError(
      'SQL_SYNTAX_ERROR',
      `expected exactly one query, found ${parsed.statements.length}`,
      {
        params: { near: nearText(src.text, 0), statements: parsed.statements.length },
        ...(location ? { location } : {}),
      },
    );
  }
  // Before translation: the names are the user's, and an unaliased computed item is refused.
  if (output !== 'any')
    nameOutputColumns(
      parsed.statements[0]!,
      { text: src.text, ...parsed },
      { written: output === 'dataset' },
    );
  const translator = new AstTranslator('inputs', parsed.locate, undefined, detectFormat, mode);
  const root = translator.translateQuery(parsed.statements[0]!);
  if (!mode.ansi) legacyDecimalText(root);
  expandSlidingWindows(root);
  const outputColumns = outputColumnsOf(root);
  await renderEventTimes(codec, translator);
  let stateful = statefulOperations(root, parsed.locate);
  // A join of two streams is planned (or refused) as one; otherwise aggregation / de-duplication.
  const planOf = async () =>
    (await streamJoinPlanOf(codec, root, translator.inputs, stateful, parsed.locate)) ??
    (await statefulPlanOf(codec, root, translator.inputs, parsed.locate));
  let statefulPlan = await planOf();
  if (statefulPlan && !mode.ansi && holdsLegacyMarkers(root)) {
    // A stateful plan's statements over its state are not bound to typed inputs: its non-ANSI
    // conversions cover every type, as DuckDB's `typeof` chooses (legacy-markers.ts).
    resolveWithoutTypes(root);
    stateful = statefulOperations(root, parsed.locate);
    statefulPlan = await planOf();
  }
  const location = src.locate(0);
  const sessions =
    statefulPlan?.kind === 'stateful_refusal' ||
    (statefulPlan?.kind === 'streaming_aggregate' && statefulPlan.windowKind === 'session');
  const refused = sessionWindowRefusal(root, sessions, location);
  if (refused) throw refused;
  return Object.freeze({
    kind: 'query',
    source: src.text,
    sql: await toSql(codec, root),
    inputs: Object.freeze(translator.inputs),
    ...(outputColumns ? { outputColumns: Object.freeze(outputColumns) } : {}),
    ...(stateful.length > 0 ? { stateful: Object.freeze(stateful) } : {}),
    ...(statefulPlan ? { statefulPlan } : {}),
    ...(mode.ansi ? {} : { legacy: true as const }),
    ...(location ? { location } : {}),
  });
}

/**
 * Writes each computed event time the translation kept (`WATERMARK expr AS name`) into its
 * input's watermark as DuckDB SQL, before the stateful plans copy the inputs' watermarks.
 */
async function renderEventTimes(codec: SqlCodec, translator: AstTranslator): Promise<void> {
  for (const [index, { node, location }] of translator.eventTimes) {
    const input = translator.inputs[index];
    if (!input?.watermark) continue;
    const template = JSON.parse(await codec.serialize('SELECT 1')) as AstNode;
    const select = (template.statements as AstNode[])[0]!.node as AstNode;
    select.select_list = [{ ...node, alias: '' }];
    // Rendered outside the bound query, so its non-ANSI conversions cover every type (legacy-markers.ts).
    resolveWithoutTypes(select);
    const sql = (await toSql(codec, select)).replace(/^SELECT /, '');
    translator.inputs[index] = {
      ...input,
      watermark: {
        ...input.watermark,
        expression: Object.freeze({ kind: 'event_time_expression', sql, ...(location ? { location } : {}) }),
      },
    };
  }
}

/** Substitutes `${key}`s of `text`, throwing UNDEFINED_CONFIGURATION_KEY at the first unknown one. */
export function substitutePlaced(
  text: string,
  configuration: Readonly<Record<string, string>> | undefined,
  location: SourceLocation | undefined,
): PlacedText {
  if (!configuration) return placeText(text, location);
  const sub = substituteConfiguration(text, configuration, tokenize(text));
  const unsafe = sub.unsafe[0];
  if (unsafe) throw unsafeValueError(unsafe, placeText(text, location).locate(unsafe.offset), undefined);
  const missing = sub.undefinedKeys[0];
  if (missing) {
    const at = placeText(text, location).locate(missing.offset);
    throw new SluiceError('UNDEFINED_CONFIGURATION_KEY', `\${${missing.key}} names no configuration entry`, {
      params: { key: missing.key },
      ...(at ? { location: at } : {}),
    });
  }
  const placed = placeText(text, location);
  return { text: sub.text, locate: (offset) => placed.locate(sub.map(offset)) };
}

// ---------------------------------------------------------------------------------------------
// Expressions

export interface AnalyzedExpression {
  readonly sql: string;
  readonly columns: readonly string[];
}

/** Column names an expression reads (first part of each reference, lambda parameters and subqueries excluded). */
/**
 * Column references `q.c` of an expression over rows with the columns `have` (lower-cased) where
 * `q` is not one of them but `c` is: `q` is the alias the rows had in their query (`SELECT x.k
 * FROM t x` keeps the qualifier `x`, as Spark's output attributes do), so the reference is `c`.
 */
function dropQualifiers(expr: Json, have: ReadonlySet<string>): void {
  if (Array.isArray(expr)) {
    for (const x of expr) dropQualifiers(x, have);
    return;
  }
  if (!isNode(expr) || expr.class === 'SUBQUERY') return;
  if (expr.class === 'COLUMN_REF' && Array.isArray(expr.column_names)) {
    const names = expr.column_names.map(String);
    if (names.length >= 2 && !have.has(names[0]!.toLowerCase()) && have.has(names[1]!.toLowerCase()))
      expr.column_names = names.slice(1);
    return;
  }
  for (const v of Object.values(expr)) if (v !== null && typeof v === 'object') dropQualifiers(v, have);
}

function columnsOf(expr: Json, bound: ReadonlySet<string>, out: Set<string>): void {
  if (Array.isArray(expr)) {
    for (const x of expr) columnsOf(x, bound, out);
    return;
  }
  if (!isNode(expr)) return;
  if (expr.class === 'SUBQUERY') return;
  if (expr.class === 'COLUMN_REF' && Array.isArray(expr.column_names)) {
    const names = expr.column_names.map(String);
    const first = names[0] ?? '';
    const keyword =
      names.length === 1 &&
      /^(current_timestamp|current_date|current_time|localtimestamp|localtime|current_user|current_catalog|current_schema)$/i.test(
        first,
      );
    if (!keyword && !bound.has(first.toLowerCase())) out.add(first);
    return;
  }
  if (expr.class === 'LAMBDA') {
    const params = new Set(bound);
    const collect = (n: Json): void => {
      if (Array.isArray(n)) n.forEach(collect);
      else if (isNode(n) && n.class === 'COLUMN_REF' && Array.isArray(n.column_names))
        params.add(String(n.column_names[0]).toLowerCase());
      else if (isNode(n)) Object.values(n).forEach(collect);
    };
    collect(expr.lhs ?? null);
    columnsOf(expr.expr ?? null, params, out);
    return;
  }
  for (const v of Object.values(expr)) if (v !== null && typeof v === 'object') columnsOf(v, bound, out);
}

/**
 * Translates one Spark SQL expression and lists the columns it reads (first part of each
 * reference; lambda parameters, subqueries and CURRENT_TIMESTAMP-like keywords excluded).
 */
export async function analyzeExpression(
  codec: SqlCodec,
  sparkExpr: string,
  location?: SourceLocation,
  rowColumns?: readonly string[],
  mode: SqlMode = ANSI_MODE,
): Promise<AnalyzedExpression> {
  const src = placeText(sparkExpr, location);
  const parsed = await parseSpark(codec, src, 'SELECT ');
  const root = parsed.statements[0];
  const items = root ? nodes(root, 'select_list') : [];
  const from = root && isNode(root.from_table) ? str(root.from_table, 'type') : '';
  if (
    parsed.statements.length !== 1 ||
    !root ||
    root.type !== 'SELECT_NODE' ||
    items.length !== 1 ||
    from !== 'EMPTY' ||
    root.where_clause !== null ||
    nodes(root, 'modifiers').length > 0 ||
    nodes(root, 'group_expressions').length > 0
  ) {
    throw new SluiceError('SQL_SYNTAX_ERROR', `not a single expression: ${sparkExpr}`, {
      params: { near: nearText(sparkExpr, 0), detail: 'not a single expression' },
      ...(location ? { location } : {}),
    });
  }
  if (rowColumns) dropQualifiers(items[0]!, new Set(rowColumns.map((c) => c.toLowerCase())));
  const translator = new AstTranslator('tables', parsed.locate, undefined, undefined, mode);
  const item = translator.translateExpression(items[0]!);
  // An expression is not bound to a query's inputs: its non-ANSI casts cover every type.
  if (!mode.ansi) resolveWithoutTypes(item);
  item.alias = '';
  root.select_list = [item];
  const sql = (await toSql(codec, root)).replace(/^SELECT /, '');
  const columns = new Set<string>();
  columnsOf(item, new Set(), columns);
  return { sql, columns: [...columns] };
}

// ---------------------------------------------------------------------------------------------
// Standalone statements (`sluice query`)

export interface StandaloneStatement {
  readonly sql: string;
  readonly tables: readonly TableReference[];
}

export interface StandaloneSql {
  /** DuckDB SQL of all statements, joined by `;\n`. */
  readonly sql: string;
  /** Every table named (deduplicated by name, in order of first appearance); CTE names excluded. */
  readonly tables: readonly TableReference[];
  readonly statements: readonly StandaloneStatement[];
}

export async function translateStandalone(
  codec: SqlCodec,
  sparkSql: string,
  rename?: (table: TableReference) => string | undefined,
  location?: SourceLocation,
): Promise<StandaloneSql> {
  const parsed = await parseSpark(
    codec,
    placeText(sparkSql, location ?? { file: '<query>', line: 1, column: 1 }),
  );
  const statements: StandaloneStatement[] = [];
  for (const node of parsed.statements) {
    const translator = new AstTranslator('tables', parsed.locate, rename);
    const root = translator.translateQuery(node);
    expandSlidingWindows(root);
    const refused = sessionWindowRefusal(root, false, location);
    if (refused) throw refused;
    statements.push({ sql: await toSql(codec, root), tables: translator.tables });
  }
  const seen = new Set<string>();
  const tables: TableReference[] = [];
  for (const s of statements) {
    for (const t of s.tables) {
      if (seen.has(t.name)) continue;
      seen.add(t.name);
      tables.push(t);
    }
  }
  return { sql: statements.map((s) => s.sql).join(';\n'), tables, statements };
}
