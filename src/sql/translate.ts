import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { inputPlaceholder, type QueryInput } from '../model/index.ts';
import { ANSI_MODE, type SqlMode } from './ansi-mode.ts';
import { type AstNode, constantText, isNode, type Json, nodes, queryLocation, str } from './ast.ts';
import { translateCast } from './casts.ts';
import { translateComparison, translateConcatOperator } from './coercions.ts';
import { eventTimeRefusal } from './event-time-expression.ts';
import {
  cloudFilesInput,
  filePathInput,
  hideFileMetadata,
  metadataColumnRef,
  metadataFunctionField,
  readFilesInput,
} from './file-sources.ts';
import {
  applyRule,
  type FunctionCall,
  PARSER_GENERATED,
  sparkFunctionRule,
  sparkWindowRule,
} from './functions/index.ts';
import { expandGenerators } from './generators.ts';
import { alignGroupExpressions } from './group-alignment.ts';
import { OPTION_ARGUMENT } from './prepass-stream-options.ts';
import { EVENT_TIME_ARGUMENT, WATERMARK_ARGUMENT } from './prepass-watermark.ts';
import {
  generatorTable,
  isGeneratorTable,
  isSyntaxFunction,
  nameValuesColumns,
  prepareSelect,
  rangeTable,
  translateSubscript,
  translateSyntaxFunction,
} from './syntax-functions.ts';
import { tableChangesInput } from './table-changes.ts';
import type { FileFormatDetector } from './types.ts';
import { valuesColumnKind, valuesIntervalColumns } from './values-types.ts';

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
  /**
   * The computed event times of watermarked inputs (`WATERMARK expr AS name`), translated, by
   * input index; the compile renders them into the inputs' watermarks.
   */
  readonly eventTimes = new Map<number, { readonly node: AstNode; readonly location?: SourceLocation }>();

  constructor(
    private readonly mode: 'inputs' | 'tables',
    /** Source location of a DuckDB byte offset in the parsed text. */
    private readonly locate: (byteOffset: number | undefined) => SourceLocation | undefined,
    /** `tables` mode: a replacement relation name for a table (e.g. a temp view), or undefined to keep it. */
    private readonly rename?: (table: TableReference) => string | undefined,
    /** `inputs` mode: the format of a `read_files` path written without one. */
    private readonly detectFormat?: FileFormatDetector,
    /** ANSI mode on (Spark 4's errors) or off (Spark's non-ANSI results), see ansi-mode.ts. */
    private readonly sqlMode: SqlMode = ANSI_MODE,
  ) {}

  /** Whether ANSI mode is off: casts, divisions and indexes give Spark's non-ANSI results. */
  private get legacy(): boolean {
    return !this.sqlMode.ansi;
  }

  /** A call of `input_file_name()` (or another file function) met by the walk. */
  private fileFunctionCall: AstNode | undefined;

  /** Interval columns of the inline VALUES list the SELECT being walked reads (see `valuesIntervalColumns`). */
  private valuesIntervals: ReadonlyMap<string, 'ym' | 'dt'> = new Map();

  /** Translates a statement's root query node in place and returns it. */
  translateQuery(node: AstNode): AstNode {
    const root = this.walk(node, new Set()) as AstNode;
    if (this.mode === 'inputs') {
      hideFileMetadata(root, this.inputs, inputPlaceholder, this.fileFunctionCall, (n) =>
        this.locate(queryLocation(n)),
      );
    }
    return root;
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
    if (v.type === 'EXPRESSION_LIST') nameValuesColumns(v);
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
    if (node.type === 'SELECT_NODE') prepareSelect(node, this.locate);
    const outerIntervals = this.valuesIntervals;
    if (node.type === 'SELECT_NODE') this.valuesIntervals = valuesIntervalColumns(node.from_table ?? null);
    let out: AstNode;
    try {
      out = this.walkFields(node, inner, 'cte_map');
    } finally {
      this.valuesIntervals = outerIntervals;
    }
    // Generators (explode, inline, …) in a select list become unnest items (generators.ts).
    if (out.type !== 'SELECT_NODE') return out;
    return expandGenerators(alignGroupExpressions(out), (n, name, reason) =>
      this.unsupported(n, name, reason),
    );
  }

  private error(
    code: 'UNSUPPORTED_SPARK_FUNCTION' | 'SQL_SYNTAX_ERROR' | 'UNSUPPORTED_SQL_SYNTAX',
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
        return translateCast(node, (n) => this.locate(queryLocation(n)), this.legacy);
      case 'COMPARISON':
        return translateComparison(node, (n) => this.locate(queryLocation(n)));
      case 'OPERATOR':
        return translateSubscript(node, (n) => this.locate(queryLocation(n)), this.legacy);
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
    if (node.is_operator === true && lower === '||')
      return translateConcatOperator(node, (n) => this.locate(queryLocation(n)), this.legacy);
    if (node.is_operator === true && lower !== '<=>') return node;
    if (PARSER_GENERATED.has(lower)) return node;
    if (isSyntaxFunction(lower))
      return { ...translateSyntaxFunction(node, this.legacy), alias: node.alias ?? '' };
    const fileField = metadataFunctionField(lower);
    if (fileField !== undefined && this.mode === 'inputs' && nodes(node, 'children').length === 0) {
      this.fileFunctionCall ??= node;
      return metadataColumnRef(node, fileField);
    }
    const rule = sparkFunctionRule(lower);
    if (rule === undefined) this.unsupported(node, name);
    const intervals = this.valuesIntervals;
    const c: FunctionCall = {
      name: lower,
      node,
      args: nodes(node, 'children'),
      unsupported: (reason) => this.unsupported(node, name, reason),
      valuesIntervalKind: (x) => valuesColumnKind(intervals, x),
      legacy: this.legacy,
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
    const windowRule = sparkWindowRule(lower);
    if (windowRule) {
      const unsupported = (reason: string) => this.unsupported(node, name, reason);
      return windowRule({ name: lower, node, args: nodes(node, 'children'), unsupported });
    }
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
    const pathTable = catalog ? undefined : filePathInput(parts, false, node, (n) => this.locateNode(n));
    if (pathTable) return this.replaceWithInput(node, pathTable, '');
    return this.replaceWithInput(node, { kind: 'dataset', name: parts.join('.'), streaming: false }, table);
  }

  private locateNode(node: AstNode): SourceLocation | undefined {
    return this.locate(queryLocation(node));
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
    if (fn && name === 'range')
      return rangeTable(node, { ...fn, children: this.walk(fn.children ?? [], scope) });
    if (fn && isGeneratorTable(name)) return this.walkFields(generatorTable(node, fn), scope);
    if (fn && name === 'table_changes' && this.mode === 'inputs') {
      const input = tableChangesInput(fn, (n) => this.locateNode(n));
      return this.replaceWithInput(node, input, 'table_changes');
    }
    if (!fn || (name !== 'stream' && name !== 'read_files' && name !== 'cloud_files')) {
      if (fn) this.unsupported(fn, str(fn, 'function_name'), 'not supported as a table function');
      return this.walkFields(node, scope);
    }
    if (name === 'read_files') return this.readFiles(node, fn, false);
    if (name === 'cloud_files')
      return this.fileSource(node, fn, () => cloudFilesInput(fn, (n) => this.locateNode(n)));
    const allArgs = nodes(fn, 'children');
    // `stream(x, '__sluice_watermark', col, micros, '__sluice_option', k, v, …)`: the WATERMARK
    // and options clauses after the relation (prepass-clauses.ts).
    let watermark: { column: string; delayMicros: number } | undefined;
    let eventTime: AstNode | undefined;
    const options: Record<string, string> = {};
    let marks = 1;
    for (; marks + 2 < allArgs.length; marks += 3) {
      const mark = constantText(allArgs[marks]!);
      const a = constantText(allArgs[marks + 1]!) ?? '';
      const b = constantText(allArgs[marks + 2]!) ?? '';
      if (mark === WATERMARK_ARGUMENT) watermark = { column: a, delayMicros: Number(b) };
      else if (mark === OPTION_ARGUMENT) options[a] = b;
      else if (mark === EVENT_TIME_ARGUMENT) eventTime = allArgs[marks + 2]!;
      else break;
    }
    const marked = marks > 1 && marks === allArgs.length;
    const args = marked ? allArgs.slice(0, 1) : allArgs;
    const hasOptions = marked && Object.keys(options).length > 0;
    if (marked && eventTime && this.mode === 'inputs') {
      // `WATERMARK expr AS name`: the expression is refused here or kept, translated, for the
      // compile to render and project onto the input (see event-time-expression.ts).
      const written = structuredClone(eventTime);
      const translated = this.translateExpression(eventTime);
      const refusal = eventTimeRefusal(written, translated);
      if (refusal) {
        const location = this.locate(queryLocation(refusal.at)) ?? this.locate(queryLocation(written));
        throw new SluiceError(refusal.code, refusal.message, {
          params: { column: watermark?.column ?? '' },
          ...(location ? { location } : {}),
        });
      }
      const location = this.locate(queryLocation(written));
      this.eventTimes.set(this.inputs.length, { node: translated, ...(location ? { location } : {}) });
    }
    const withMark = <T extends QueryInput>(input: T): T => (watermark ? { ...input, watermark } : input);
    const arg = args[0];
    if (hasOptions && arg?.class === 'FUNCTION') {
      throw this.error(
        'UNSUPPORTED_SQL_SYNTAX',
        "reader options (STREAM … WITH (…)) are only supported on a streaming read of a dataset; give read_files its options as arguments (name => 'value')",
        fn,
        { construct: 'STREAM … WITH options' },
      );
    }
    if (args.length !== 1 || !arg) {
      throw this.error('SQL_SYNTAX_ERROR', 'STREAM takes one dataset name or read_files(…)', fn, {
        near: 'STREAM',
      });
    }
    if (arg.class === 'FUNCTION' && str(arg, 'function_name').toLowerCase() === 'read_files') {
      return this.fileSource(node, arg, () =>
        withMark(readFilesInput(arg, true, (n) => this.locateNode(n), this.detectFormat)),
      );
    }
    if (arg.class === 'FUNCTION' && str(arg, 'function_name').toLowerCase() === 'cloud_files') {
      return this.fileSource(node, arg, () => withMark(cloudFilesInput(arg, (n) => this.locateNode(n))));
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
    const pathTable =
      this.mode === 'inputs' ? filePathInput(parts, true, arg, (n) => this.locateNode(n)) : undefined;
    if (pathTable && hasOptions) {
      throw this.error(
        'UNSUPPORTED_SQL_SYNTAX',
        'reader options (STREAM … WITH (…)) are only supported on a streaming read of a pipeline dataset, not of a path',
        arg,
        { construct: 'STREAM … WITH options' },
      );
    }
    if (pathTable) return this.replaceWithInput(node, withMark(pathTable), '');
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
      withMark({
        kind: 'dataset',
        name: datasetName,
        streaming: true,
        ...(hasOptions ? { options: Object.freeze(options) } : {}),
      } as QueryInput),
      parts[parts.length - 1]!,
    );
  }

  private readFiles(node: AstNode, fn: AstNode, streaming: boolean): AstNode {
    return this.fileSource(node, fn, () =>
      readFilesInput(fn, streaming, (n) => this.locateNode(n), this.detectFormat),
    );
  }

  /** A file source relation (`read_files`, `cloud_files`): an input in pipeline definitions only. */
  private fileSource(node: AstNode, fn: AstNode, input: () => QueryInput): AstNode {
    const name = str(fn, 'function_name');
    if (this.mode === 'tables')
      this.unsupported(fn, name, `${name.toLowerCase()} is only valid in pipeline definitions`);
    return this.replaceWithInput(node, input(), '');
  }
}

function tableNameFields(parts: readonly string[]): AstNode {
  const p = [...parts];
  const table = p.pop() ?? '';
  const schema = p.pop() ?? '';
  const catalog = p.pop() ?? '';
  return { table_name: table, schema_name: schema, catalog_name: catalog };
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
