import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { FileInputFormat, QueryInput } from '../model/index.ts';
import { type AstNode, constantText, isNode, type Json, nodes, str } from './ast.ts';
import type { FileFormatDetector } from './types.ts';
import { parseXmlOptions } from './xml-options.ts';

/**
 * The file sources of a query, recognized on DuckDB's AST:
 * - `read_files(path, format => 'json', option => value, …)`, batch or `STREAM`;
 * - `cloud_files(path, format[, map(key, value, …)])`, the legacy Auto Loader table function
 *   (always a stream, written with or without `STREAM`);
 * - file-path tables ``json.`path` ``, ``csv.`…` ``, ``parquet.`…` ``, ``text.`…` `` (Spark's
 *   plain reader) and ``delta.`path` `` (the Delta table at a path), batch or `STREAM`;
 * - the hidden `_metadata` column of file sources and `input_file_name()`.
 */

/** Where an AST node sits in the user's file. */
export type NodeLocator = (node: AstNode) => SourceLocation | undefined;

/** Formats sluice reads files of. */
const READABLE_FORMATS = new Set(['json', 'csv', 'parquet', 'text', 'xml']);

/** Formats Spark reads that sluice does not (named so the refusal says so, instead of "not defined"). */
const UNREADABLE_FORMATS = new Set(['avro', 'orc', 'binaryfile']);

function syntaxError(message: string, node: AstNode, at: NodeLocator, near: string): SluiceError {
  const location = at(node);
  return new SluiceError('SQL_SYNTAX_ERROR', message, {
    params: { near },
    ...(location ? { location } : {}),
  });
}

function unsupportedFormat(source: string, format: string, node: AstNode, at: NodeLocator): SluiceError {
  const location = at(node);
  return new SluiceError(
    'UNSUPPORTED_FILE_FORMAT',
    `${source} format '${format}' is not supported: sluice reads json, csv, parquet, text and xml files (and Delta tables by path)`,
    { params: { format, source }, ...(location ? { location } : {}) },
  );
}

/** A file format as written, checked: a readable one, or UNSUPPORTED_FILE_FORMAT for Spark's others. */
function checkedFormat(source: string, written: string, node: AstNode, at: NodeLocator): FileInputFormat {
  const f = written.toLowerCase();
  if (READABLE_FORMATS.has(f)) return f as FileInputFormat;
  if (UNREADABLE_FORMATS.has(f) || f === 'delta') throw unsupportedFormat(source, written, node, at);
  throw syntaxError(
    `${source} format '${written}' is not a file format (json, csv, parquet, text or xml)`,
    node,
    at,
    source,
  );
}

/** The format a path's extension names (`x.csv`, `x.json.gz`), if any. */
function formatOfPath(path: string): string | undefined {
  const m = /\.(jsonl|ndjson|json|csv|tsv|parquet|txt|xml)(\.gz|\.zst)?\/?$/i.exec(path);
  if (!m) return undefined;
  const ext = m[1]!.toLowerCase();
  return ext === 'jsonl' || ext === 'ndjson' ? 'json' : ext === 'tsv' ? 'csv' : ext === 'txt' ? 'text' : ext;
}

/** `read_files(path, option => value, …)`; `format` may be left out when the path's extension names it. */
export function readFilesInput(
  fn: AstNode,
  streaming: boolean,
  at: NodeLocator,
  detectFormat?: FileFormatDetector,
): QueryInput {
  const args = nodes(fn, 'children');
  const fail = (message: string, node: AstNode): never => {
    throw syntaxError(message, node, at, 'read_files');
  };
  const pathNode = args[0];
  const path = pathNode && !str(pathNode, 'alias') ? constantText(pathNode) : undefined;
  if (path === undefined)
    return fail('read_files needs a literal path as its first argument', pathNode ?? fn);
  const options: Record<string, string> = {};
  for (const a of args.slice(1)) {
    const key = str(a, 'alias');
    const value = constantText(a);
    if (!key) fail('read_files options must be named (name => value)', a);
    if (value === undefined) fail(`read_files option '${key}' must be a literal`, a);
    options[key] = value!;
  }
  const formatKey = Object.keys(options).find((k) => k.toLowerCase() === 'format');
  const detected = formatKey !== undefined || formatOfPath(path) ? undefined : detectFormat?.(path);
  const written =
    formatKey !== undefined
      ? options[formatKey]
      : (formatOfPath(path) ?? (detected && 'format' in detected ? detected.format : undefined));
  if (formatKey !== undefined) delete options[formatKey];
  if (written === undefined) {
    const location = at(fn);
    const why = detected && 'reason' in detected ? detected.reason : 'cannot infer it from the path';
    throw new SluiceError(
      'READ_FILES_FORMAT_UNKNOWN',
      `read_files('${path}') needs format => 'json' | 'csv' | 'parquet' | 'text': ${why}`,
      { params: { path, reason: why }, ...(location ? { location } : {}) },
    );
  }
  const format = checkedFormat('read_files', written, fn, at);
  if (format === 'xml') checkXml(options, fn, at);
  return { kind: 'files', path, format, options, streaming };
}

/** The XML options checked where the source is written (rowTag present, options in the subset), located. */
function checkXml(options: Record<string, string>, node: AstNode, at: NodeLocator): void {
  try {
    parseXmlOptions(options);
  } catch (e) {
    const location = at(node);
    if (e instanceof SluiceError && location && !e.location) {
      throw new SluiceError(e.code, e.message, { params: e.params, location });
    }
    throw e;
  }
}

/**
 * `cloud_files(path, format[, map('key', 'value', …)])`: Auto Loader, a stream whether written
 * with `STREAM` or not. Option keys keep their `cloudFiles.` prefix (the options parser accepts it).
 */
export function cloudFilesInput(fn: AstNode, at: NodeLocator): QueryInput {
  const args = nodes(fn, 'children');
  const fail = (message: string, node: AstNode): never => {
    throw syntaxError(message, node, at, 'cloud_files');
  };
  const [pathNode, formatNode, mapNode, ...rest] = args;
  const path = pathNode ? constantText(pathNode) : undefined;
  if (path === undefined)
    return fail('cloud_files needs a literal path as its first argument', pathNode ?? fn);
  const written = formatNode ? constantText(formatNode) : undefined;
  if (written === undefined) {
    return fail(
      "cloud_files needs a literal format as its second argument ('json', 'csv', 'parquet' or 'text')",
      formatNode ?? fn,
    );
  }
  const format = checkedFormat('cloud_files', written, formatNode!, at);
  if (rest.length > 0) fail('cloud_files takes a path, a format and a map of options', rest[0]!);
  const options: Record<string, string> = {};
  if (mapNode) {
    const isMap = mapNode.class === 'FUNCTION' && str(mapNode, 'function_name').toLowerCase() === 'map';
    if (!isMap) fail("cloud_files options must be a map('key', 'value', …)", mapNode);
    const kv = nodes(mapNode, 'children');
    if (kv.length % 2 !== 0) fail('cloud_files options map needs a value for every key', mapNode);
    for (let i = 0; i < kv.length; i += 2) {
      const key = constantText(kv[i]!);
      const value = constantText(kv[i + 1]!);
      if (key === undefined || value === undefined)
        fail('cloud_files options must be literal strings', kv[key === undefined ? i : i + 1]!);
      options[key!] = value!;
    }
  }
  if (format === 'xml') checkXml(options, fn, at);
  return { kind: 'files', path, format, options, streaming: true, reader: 'cloud_files' };
}

/**
 * A file-path table: two name parts whose first is a data source name (``json.`data/x` ``). Spark
 * reads the path with its plain reader (``delta.`p` ``: the Delta table at `p`). Undefined when the
 * name is not one (a dataset `schema.table`).
 */
export function filePathInput(
  parts: readonly string[],
  streaming: boolean,
  node: AstNode,
  at: NodeLocator,
): QueryInput | undefined {
  if (parts.length !== 2) return undefined;
  const source = parts[0]!.toLowerCase();
  const path = parts[1]!;
  // Spark's XML reader needs rowTag, which a file-path table cannot give.
  if (UNREADABLE_FORMATS.has(source) || source === 'xml')
    throw unsupportedFormat(`${source}.\`…\``, source, node, at);
  if (!READABLE_FORMATS.has(source) && source !== 'delta') return undefined;
  return {
    kind: 'files',
    path,
    format: source as FileInputFormat,
    options: {},
    streaming,
    reader: 'path',
  };
}

// ---------------------------------------------------------------------------------------------
// `_metadata` and input_file_name()

/** Spark functions that read the current row's file, as the `_metadata` field they stand for. */
const METADATA_FUNCTIONS: Readonly<Record<string, string>> = {
  input_file_name: 'file_path',
  input_file_block_start: 'file_block_start',
  input_file_block_length: 'file_block_length',
};

/** The `_metadata` field a file function reads (`input_file_name` → `file_path`), if it is one. */
export function metadataFunctionField(name: string): string | undefined {
  return Object.hasOwn(METADATA_FUNCTIONS, name) ? METADATA_FUNCTIONS[name] : undefined;
}

/** `_metadata.<field>` in place of a call of a file function (keeping its alias and position). */
export function metadataColumnRef(call: AstNode, field: string): AstNode {
  return {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: call.alias ?? '',
    query_location: call.query_location ?? null,
    column_names: ['_metadata', field],
  };
}

/** The name of the hidden column of file sources. */
export const METADATA_COLUMN = '_metadata';

function readsMetadata(v: Json): boolean {
  if (Array.isArray(v)) return v.some(readsMetadata);
  if (!isNode(v)) return false;
  if (v.class === 'COLUMN_REF' && Array.isArray(v.column_names)) {
    const names = v.column_names.map((n) => String(n).toLowerCase());
    return names[0] === METADATA_COLUMN || (names.length > 1 && names[1] === METADATA_COLUMN);
  }
  return Object.values(v).some((x) => x !== null && typeof x === 'object' && readsMetadata(x));
}

/** The relations a FROM clause joins at its own level (not inside subqueries). */
function fromRelations(from: Json | undefined, out: AstNode[] = []): AstNode[] {
  if (!isNode(from)) return out;
  if (from.type === 'JOIN') {
    fromRelations(from.left, out);
    fromRelations(from.right, out);
  } else out.push(from);
  return out;
}

/** Every SELECT node of a query tree (subqueries, CTEs and set operations included). */
function selectNodes(v: Json, out: AstNode[] = []): AstNode[] {
  if (Array.isArray(v)) for (const x of v) selectNodes(x, out);
  else if (isNode(v)) {
    if (v.type === 'SELECT_NODE') out.push(v);
    for (const x of Object.values(v)) if (x !== null && typeof x === 'object') selectNodes(x, out);
  }
  return out;
}

/**
 * Makes `_metadata` a hidden column of the query's file sources, as in Spark: when the query reads
 * it (or called `input_file_name()`), every file input is marked to expose it, and each `*` over a
 * FROM clause that holds a file input leaves it out. `placeholders` names the relation of each
 * input (its index). A file function (`functionCall`) in a query that does not read exactly one
 * file source is refused: the current row's file would be ambiguous or unknown.
 */
export function hideFileMetadata(
  root: AstNode,
  inputs: QueryInput[],
  placeholder: (index: number) => string,
  functionCall: AstNode | undefined,
  at: NodeLocator,
): void {
  const files = inputs.flatMap((input, i) => (input.kind === 'files' && input.format !== 'delta' ? [i] : []));
  if (functionCall && files.length !== 1) {
    const name = str(functionCall, 'function_name');
    const location = at(functionCall);
    throw new SluiceError(
      'UNSUPPORTED_SPARK_FUNCTION',
      `Spark function '${name}' cannot be translated: it reads the file of the current row, and this query reads ${files.length === 0 ? 'no file source' : `${files.length} file sources`}; read _metadata.file_path of one read_files / cloud_files source instead`,
      { params: { function: name }, ...(location ? { location } : {}) },
    );
  }
  if (files.length === 0 || !readsMetadata(root)) return;
  const relations = new Map<string, string>(); // placeholder → alias
  for (const i of files) {
    inputs[i] = { ...(inputs[i] as Extract<QueryInput, { kind: 'files' }>), metadata: true };
    relations.set(placeholder(i).toLowerCase(), '');
  }
  for (const select of selectNodes(root)) {
    const fileRelations = fromRelations(select.from_table).filter(
      (r) => r.type === 'BASE_TABLE' && relations.has(str(r, 'table_name').toLowerCase()),
    );
    if (fileRelations.length === 0) continue;
    const names = new Set(
      fileRelations.flatMap((r) => [str(r, 'table_name').toLowerCase(), str(r, 'alias').toLowerCase()]),
    );
    for (const item of nodes(select, 'select_list')) {
      if (item.class !== 'STAR' || item.columns === true) continue;
      const relation = str(item, 'relation_name').toLowerCase();
      if (relation !== '' && !names.has(relation)) continue;
      const excluded = Array.isArray(item.exclude_list) ? item.exclude_list : [];
      if (!excluded.some((e) => String(e).toLowerCase() === METADATA_COLUMN))
        item.exclude_list = [...excluded, METADATA_COLUMN];
    }
  }
}
