import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { type FileFormat, inputPlaceholder, type QueryInput } from '../model/index.ts';
import { type AstNode, constantText, isNode, type Json, nodes, queryLocation, str } from './ast.ts';
import { applyRule, type FunctionCall, PARSER_GENERATED, sparkFunctionRule } from './functions/index.ts';

/** A table named by a standalone query (`sluice query`), left in place. */
export interface TableReference {
  /** Dotted name as written (`system.lakeflow.pipeline_events`), without a `LIVE.` prefix. */
  readonly name: string;
  readonly parts: readonly string[];
}

/**
 * One walk over a DuckDB AST that (a) translates Spark functions and types through the
 * function table and (b) finds every relation the query reads. In `inputs` mode each dataset
 * / `read_files` relation becomes a placeholder BASE_TABLE (numbered in order of appearance,
 * aliased to the name the user wrote); in `tables` mode table names are only recorded.
 * CTE names visible at a reference (WITH at that level or an enclosing one, earlier in the
 * same WITH, or the CTE itself when recursive) are never inputs.
 */
export class AstTranslator {
  readonly inputs: QueryInput[] = [];
  readonly tables: TableReference[] = [];

  constructor(
    private readonly mode: 'inputs' | 'tables',
    /** Source location of a DuckDB byte offset in the parsed text. */
    private readonly locate: (byteOffset: number | undefined) => SourceLocation | undefined,
    /** `tables` mode: a replacement relation name for a table (e.g. a temp view), or undefined to keep it. */
    private readonly rename?: (table: TableReference) => string | undefined,
  ) {}

  /** Translates a statement's root query node in place and returns it. */
  translateQuery(node: AstNode): AstNode {
    return this.walk(node, new Set()) as AstNode;
  }

  /** Translates one expression node. */
  translateExpression(node: AstNode): AstNode {
    return this.walk(node, new Set()) as AstNode;
  }

  private walk(v: Json, scope: ReadonlySet<string>): Json {
    if (Array.isArray(v)) return v.map((x) => this.walk(x, scope));
    if (!isNode(v)) return v;
    if (isNode(v.cte_map)) return this.walkQueryNode(v, scope);
    if (typeof v.class === 'string') return this.walkExpression(v, scope);
    if (v.type === 'BASE_TABLE') return this.baseTable(v, scope);
    if (v.type === 'TABLE_FUNCTION') return this.tableFunction(v, scope);
    return this.walkFields(v, scope);
  }

  private walkFields(node: AstNode, scope: ReadonlySet<string>, skip?: string): AstNode {
    for (const k in node) {
      const x = node[k];
      if (k !== skip && x !== null && typeof x === 'object') node[k] = this.walk(x!, scope);
    }
    return node;
  }

  private walkQueryNode(node: AstNode, scope: ReadonlySet<string>): AstNode {
    let inner = new Set(scope);
    const cteMap = node.cte_map as AstNode;
    for (const entry of nodes(cteMap, 'map')) {
      entry.value = this.walk(entry.value ?? null, inner);
      inner = new Set(inner).add(str(entry, 'key').toLowerCase());
    }
    if (node.type === 'RECURSIVE_CTE_NODE') inner.add(str(node, 'cte_name').toLowerCase());
    return this.walkFields(node, inner, 'cte_map');
  }

  private error(
    code: 'UNSUPPORTED_SPARK_FUNCTION' | 'SQL_SYNTAX_ERROR',
    message: string,
    node: AstNode,
    params: Record<string, unknown>,
  ): SluiceError {
    const location = this.locate(queryLocation(node));
    return new SluiceError(code, message, { params, ...(location ? { location } : {}) });
  }

  private walkExpression(node: AstNode, scope: ReadonlySet<string>): AstNode {
    this.walkFields(node, scope);
    switch (node.class) {
      case 'FUNCTION':
        return this.translateFunction(node);
      case 'WINDOW':
        return this.translateWindow(node);
      case 'CAST':
        translateCastType(node);
        return node;
      default:
        return node;
    }
  }

  private unsupported(node: AstNode, name: string, reason?: string): never {
    const message = reason
      ? `Spark function '${name}' cannot be translated: ${reason}`
      : `Spark function '${name}' is not supported (no DuckDB translation)`;
    throw this.error('UNSUPPORTED_SPARK_FUNCTION', message, node, {
      function: name,
      ...(reason ? { reason } : {}),
    });
  }

  private translateFunction(node: AstNode): AstNode {
    const name = str(node, 'function_name');
    const lower = name.toLowerCase();
    if (node.is_operator === true && lower !== '<=>') return node;
    if (PARSER_GENERATED.has(lower)) return node;
    const rule = sparkFunctionRule(lower);
    if (rule === undefined) this.unsupported(node, name);
    const c: FunctionCall = {
      name: lower,
      node,
      args: nodes(node, 'children'),
      unsupported: (reason) => this.unsupported(node, name, reason),
    };
    const out = applyRule(rule, c);
    // Keep the alias the user gave the call (`nvl(a, b) AS x`) and its position for errors.
    return out === node
      ? node
      : {
          ...out,
          alias: node.alias ?? '',
          query_location: node.query_location ?? out.query_location ?? null,
        };
  }

  private translateWindow(node: AstNode): AstNode {
    const name = str(node, 'function_name');
    const lower = name.toLowerCase();
    if (PARSER_GENERATED.has(lower)) return node;
    const rule = sparkFunctionRule(lower);
    if (rule === undefined) this.unsupported(node, name);
    if (typeof rule !== 'string') this.unsupported(node, name, 'not supported as a window function');
    node.function_name = rule;
    return node;
  }

  private baseTable(node: AstNode, scope: ReadonlySet<string>): AstNode {
    const catalog = str(node, 'catalog_name');
    let schema = str(node, 'schema_name');
    const table = str(node, 'table_name');
    if (!catalog && !schema && scope.has(table.toLowerCase())) return node;
    if (!catalog && schema.toLowerCase() === 'live') schema = '';
    const parts = [catalog, schema, table].filter((p) => p !== '');
    if (this.mode === 'tables') {
      const ref = { name: parts.join('.'), parts };
      this.tables.push(ref);
      if (str(node, 'schema_name').toLowerCase() === 'live' && !catalog) node.schema_name = '';
      const replacement = this.rename?.(ref);
      if (replacement !== undefined) {
        return {
          ...node,
          table_name: replacement,
          schema_name: '',
          catalog_name: '',
          alias: str(node, 'alias') || table,
        };
      }
      return node;
    }
    return this.replaceWithInput(node, { kind: 'dataset', name: parts.join('.'), streaming: false }, table);
  }

  private replaceWithInput(node: AstNode, input: QueryInput, defaultAlias: string): AstNode {
    const location = this.locate(queryLocation(node));
    const index = this.inputs.push(location ? { ...input, location } : input) - 1;
    return {
      type: 'BASE_TABLE',
      alias: str(node, 'alias') || defaultAlias,
      sample: node.sample ?? null,
      query_location: node.query_location ?? null,
      schema_name: '',
      table_name: inputPlaceholder(index),
      column_name_alias: node.column_name_alias ?? [],
      catalog_name: '',
      at_clause: null,
    };
  }

  private tableFunction(node: AstNode, scope: ReadonlySet<string>): AstNode {
    const fn = isNode(node.function) ? node.function : undefined;
    const name = fn ? str(fn, 'function_name').toLowerCase() : '';
    if (!fn || (name !== 'stream' && name !== 'read_files')) {
      if (fn) this.unsupported(fn, str(fn, 'function_name'), 'not supported as a table function');
      return this.walkFields(node, scope);
    }
    if (name === 'read_files') return this.readFiles(node, fn, false);
    const args = nodes(fn, 'children');
    const arg = args[0];
    if (args.length !== 1 || !arg) {
      throw this.error('SQL_SYNTAX_ERROR', 'STREAM takes one dataset name or read_files(…)', fn, {
        near: 'STREAM',
      });
    }
    if (arg.class === 'FUNCTION' && str(arg, 'function_name').toLowerCase() === 'read_files') {
      return this.readFiles(node, arg, true);
    }
    let parts: string[] | undefined;
    if (arg.class === 'COLUMN_REF' && Array.isArray(arg.column_names)) parts = arg.column_names.map(String);
    else if (constantText(arg) !== undefined && arg.class === 'CONSTANT')
      parts = constantText(arg)!.split('.');
    if (!parts || parts.length === 0) {
      throw this.error('SQL_SYNTAX_ERROR', 'STREAM takes one dataset name or read_files(…)', arg, {
        near: 'STREAM',
      });
    }
    if (parts.length > 1 && parts[0]!.toLowerCase() === 'live') parts = parts.slice(1);
    const datasetName = parts.join('.');
    if (this.mode === 'tables') {
      this.tables.push({ name: datasetName, parts });
      return {
        type: 'BASE_TABLE',
        alias: str(node, 'alias'),
        sample: node.sample ?? null,
        query_location: node.query_location ?? null,
        ...tableNameFields(parts),
        column_name_alias: node.column_name_alias ?? [],
        at_clause: null,
      };
    }
    return this.replaceWithInput(
      node,
      { kind: 'dataset', name: datasetName, streaming: true },
      parts[parts.length - 1]!,
    );
  }

  private readFiles(node: AstNode, fn: AstNode, streaming: boolean): AstNode {
    const args = nodes(fn, 'children');
    const fail = (message: string, at: AstNode): never => {
      throw this.error('SQL_SYNTAX_ERROR', message, at, { near: 'read_files' });
    };
    if (this.mode === 'tables')
      this.unsupported(fn, 'read_files', 'read_files is only valid in pipeline definitions');
    const pathNode = args[0];
    const path = pathNode && !str(pathNode, 'alias') ? constantText(pathNode) : undefined;
    if (path === undefined) fail('read_files needs a literal path as its first argument', pathNode ?? fn);
    const options: Record<string, string> = {};
    for (const a of args.slice(1)) {
      const key = str(a, 'alias');
      const value = constantText(a);
      if (!key) fail('read_files options must be named (name => value)', a);
      if (value === undefined) fail(`read_files option '${key}' must be a literal`, a);
      options[key] = value!;
    }
    const formatText = (options.format ?? inferFormat(path!))?.toLowerCase();
    delete options.format;
    if (formatText !== 'json' && formatText !== 'csv' && formatText !== 'parquet') {
      throw this.error(
        'SQL_SYNTAX_ERROR',
        formatText === undefined
          ? `read_files('${path}') needs format => 'json' | 'csv' | 'parquet' (cannot infer it from the path)`
          : `read_files format '${formatText}' is not supported (json, csv or parquet)`,
        fn,
        { near: 'read_files', format: formatText ?? null },
      );
    }
    const input: QueryInput = {
      kind: 'files',
      path: path!,
      format: formatText as FileFormat,
      options,
      streaming,
    };
    return this.replaceWithInput(node, input, '');
  }
}

function tableNameFields(parts: readonly string[]): AstNode {
  const p = [...parts];
  const table = p.pop() ?? '';
  const schema = p.pop() ?? '';
  const catalog = p.pop() ?? '';
  return { table_name: table, schema_name: schema, catalog_name: catalog };
}

function inferFormat(path: string): string | undefined {
  const m = /\.(jsonl|ndjson|json|csv|tsv|parquet)(\.gz)?\/?$/i.exec(path);
  if (!m) return undefined;
  const ext = m[1]!.toLowerCase();
  return ext === 'jsonl' || ext === 'ndjson' ? 'json' : ext === 'tsv' ? 'csv' : ext;
}

/** Spark type names DuckDB's parser leaves unbound, and Spark TIMESTAMP (an instant). */
const UNBOUND_TYPES: Record<string, string> = {
  TIMESTAMP_NTZ: 'TIMESTAMP',
  TIMESTAMP_LTZ: 'TIMESTAMP WITH TIME ZONE',
  BYTE: 'TINYINT',
};

function translateCastType(node: AstNode): void {
  const t = node.cast_type;
  if (!isNode(t)) return;
  if (t.id === 'TIMESTAMP') node.cast_type = { id: 'TIMESTAMP WITH TIME ZONE', type_info: null };
  else if (t.id === 'UNBOUND' && isNode(t.type_info)) {
    const mapped = UNBOUND_TYPES[str(t.type_info, 'name').toUpperCase()];
    if (mapped) node.cast_type = { id: mapped, type_info: null };
  }
}

/**
 * Output column names of a query when statically known: every item of the (left-most) select
 * list is aliased or a plain column reference, and none is `*`.
 */
export function outputColumnsOf(root: AstNode): string[] | undefined {
  let node: AstNode | undefined = root;
  while (node && node.type !== 'SELECT_NODE') node = isNode(node.left) ? node.left : undefined;
  if (!node) return undefined;
  const out: string[] = [];
  for (const item of nodes(node, 'select_list')) {
    const alias = str(item, 'alias');
    if (alias) out.push(alias);
    else if (
      item.class === 'COLUMN_REF' &&
      Array.isArray(item.column_names) &&
      item.column_names.length > 0
    ) {
      out.push(String(item.column_names[item.column_names.length - 1]));
    } else return undefined;
  }
  return out;
}
