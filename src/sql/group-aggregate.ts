/**
 * Incremental maintenance of a grouped aggregate: when a query has the shape
 * `SELECT <keys and aggregates> FROM <one input> [WHERE …] GROUP BY <keys> [HAVING …]`, new input
 * rows can only change the groups whose keys they carry. This module rewrites such a query into
 * (a) a query for the distinct keys of some input rows and (b) the query restricted to input rows
 * whose keys are in a given key table — so a refresh recomputes only the touched groups, over
 * all their rows, and keeps every other group as it was. The result equals a complete recompute
 * whenever the input only grew and the query is deterministic; the checks here ensure the latter.
 */
import { type AstNode, isNode, type Json, nodes, statementJson, str } from './ast.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import { CLOCK_FUNCTIONS, VOLATILE_FUNCTIONS } from './volatility.ts';

export interface GroupAggregateRewrite {
  /** Output column names of the group keys, in GROUP BY order. */
  readonly keyColumns: readonly string[];
  /** `SELECT DISTINCT` of the keys (as `__sluice_k0`, …) over the query's input and WHERE. */
  readonly keysSql: string;
  /** The query over only the input rows whose keys are in the key table (NULL keys match NULL). */
  readonly restrictedSql: string;
  /**
   * Per key: the one input column it is a non-decreasing function of (so a file whose column
   * values lie in [min, max] has keys in [key(min), key(max)]), or undefined.
   */
  readonly monotoneColumns: readonly (string | undefined)[];
  /**
   * `SELECT __sluice_file, <key i> AS __sluice_b<i> …` over a relation `__sluice_bounds` with the
   * input's columns (each key's value for rows of column bounds), for the monotone keys only;
   * undefined when there is none.
   */
  readonly boundsSql?: string;
}

/** Casts that keep the order of numbers and instants (never applied to text: see the engine). */
const ORDERED_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'FLOAT',
  'DOUBLE',
  'DATE',
  'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE',
]);
/** Functions non-decreasing in their last argument (the others must be constants). */
const NON_DECREASING = new Set([
  'date_trunc',
  'epoch_us',
  'epoch_ms',
  'epoch',
  'make_timestamp',
  'make_timestamptz',
  'year',
]);

/** The single input column `expr` is a non-decreasing function of, if it provably is one. */
function monotoneColumn(expr: AstNode): string | undefined {
  switch (str(expr, 'class')) {
    case 'COLUMN_REF':
      return (expr.column_names as string[]).at(-1);
    case 'CAST': {
      // TRY_CAST is not: it turns values it cannot convert into NULL.
      if (expr.try_cast === true) return undefined;
      const to = isNode(expr.cast_type) ? str(expr.cast_type, 'id') : '';
      return ORDERED_TYPES.has(to) && isNode(expr.child) ? monotoneColumn(expr.child) : undefined;
    }
    case 'FUNCTION': {
      const args = nodes(expr, 'children');
      if (!NON_DECREASING.has(str(expr, 'function_name').toLowerCase()) || args.length === 0)
        return undefined;
      if (expr.distinct === true || expr.filter !== null) return undefined;
      if (args.slice(0, -1).some((a) => str(a, 'class') !== 'CONSTANT')) return undefined;
      return monotoneColumn(args.at(-1)!);
    }
    case 'CASE':
      return typeDispatchColumn(expr);
    default:
      return undefined;
  }
}

/**
 * The column a dispatch on a value's DuckDB type (`CASE WHEN typeof(x) IN (…) THEN …`, how the
 * date-time functions translate an argument of unknown type) is non-decreasing in: every branch
 * for a type whose statistics the engine uses (integers, dates, timestamps) is non-decreasing in
 * that one column, or constant (a branch that raises).
 */
function typeDispatchColumn(expr: AstNode): string | undefined {
  const typeNames = (test: Json): string[] | undefined => {
    if (!isNode(test)) return undefined;
    const args = nodes(test, 'children');
    const isTypeof = (n: AstNode | undefined) => n !== undefined && str(n, 'function_name') === 'typeof';
    if (str(test, 'type') === 'COMPARE_IN' && isTypeof(args[0])) {
      return args.slice(1).map((a) => String((a.value as { value?: unknown } | null)?.value ?? ''));
    }
    if (
      str(test, 'class') === 'COMPARISON' &&
      isNode(test.left) &&
      isTypeof(test.left) &&
      isNode(test.right)
    ) {
      return [String((test.right.value as { value?: unknown } | null)?.value ?? '')];
    }
    if (str(test, 'function_name') === 'starts_with' && isTypeof(args[0])) return ['DECIMAL'];
    return undefined;
  };
  const branches: Json[] = [];
  for (const check of nodes(expr, 'case_checks')) {
    const names = typeNames(check.when_expr ?? null);
    if (!names) return undefined;
    if (names.some((n) => ORDERED_TYPES.has(n) && n !== 'FLOAT' && n !== 'DOUBLE'))
      branches.push(check.then_expr ?? null);
  }
  branches.push(expr.else_expr ?? null);
  let column: string | undefined;
  for (const b of branches) {
    if (!isNode(b) || ![...walk(b)].some((n) => str(n, 'class') === 'COLUMN_REF')) continue;
    const c = monotoneColumn(b);
    if (c === undefined || (column !== undefined && c !== column)) return undefined;
    column = c;
  }
  return column;
}

/** Why a query cannot be maintained by groups (it is then recomputed completely). */
export interface NotGroupAggregate {
  readonly reason: string;
}

/** Name of the i-th key column in `keysSql` and in the key table. */
export const keyColumn = (i: number): string => `__sluice_k${i}`;

// A group recomputed later must not differ from one computed earlier for reasons other than its rows.
const NONDETERMINISTIC = new Set([...VOLATILE_FUNCTIONS, ...CLOCK_FUNCTIONS]);

/** Every object node below `v` (including `v`). */
function* walk(v: Json): Generator<AstNode> {
  if (Array.isArray(v)) {
    for (const x of v) yield* walk(x);
  } else if (isNode(v)) {
    yield v;
    for (const x of Object.values(v)) yield* walk(x);
  }
}

/** An expression's identity: its tree without source positions and alias. */
function shape(expr: AstNode): string {
  return JSON.stringify(expr, (k, v) => (k === 'query_location' || k === 'alias' ? undefined : v));
}

const clone = <T extends Json>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The single-table select node of a parsed statement, or why there is none. */
function selectNode(parsed: AstNode): AstNode | string {
  if (parsed.error === true) return 'the query does not parse';
  const statements = nodes(parsed, 'statements');
  if (statements.length !== 1) return 'not a single statement';
  const node = statements[0]!.node;
  if (!isNode(node) || str(node, 'type') !== 'SELECT_NODE')
    return 'not a plain SELECT (set operation or VALUES)';
  return node;
}

/**
 * Why a select node is not a deterministic `SELECT … FROM <one input> [WHERE …] GROUP BY <keys>
 * [HAVING …] [ORDER BY …]` over plain grouping keys, or undefined when it is one.
 */
function unsupportedShape(node: AstNode): string | undefined {
  const from = node.from_table;
  if (!isNode(from) || str(from, 'type') !== 'BASE_TABLE') return 'it does not read exactly one input';
  // ORDER BY does not change which rows a table holds; LIMIT and DISTINCT do.
  if (nodes(node, 'modifiers').some((m) => str(m, 'type') !== 'ORDER_MODIFIER')) {
    return 'it has LIMIT or DISTINCT';
  }
  const cteMap = node.cte_map;
  if (isNode(cteMap) && nodes(cteMap, 'map').length > 0) return 'it has a WITH clause';
  if (node.qualify !== null || node.sample !== null) return 'it has QUALIFY or SAMPLE';
  if (str(node, 'aggregate_handling') !== 'STANDARD_HANDLING') return 'it uses GROUP BY ALL';
  const groups = nodes(node, 'group_expressions');
  if (groups.length === 0) return 'it has no GROUP BY';
  const sets = node.group_sets;
  if (
    !Array.isArray(sets) ||
    sets.length !== 1 ||
    !Array.isArray(sets[0]) ||
    sets[0].length !== groups.length
  ) {
    return 'it uses GROUPING SETS, ROLLUP or CUBE';
  }
  for (const n of walk([node.select_list, node.where_clause, node.group_expressions, node.having])) {
    const cls = str(n, 'class');
    if (cls === 'SUBQUERY') return 'it has a subquery';
    if (cls === 'WINDOW') return 'it has a window function';
    if (cls === 'FUNCTION' && NONDETERMINISTIC.has(str(n, 'function_name').toLowerCase())) {
      return `it calls ${str(n, 'function_name')}(), which is not deterministic`;
    }
  }
  return undefined;
}

/** The output column name of a select-list expression: its alias, else a column's name, else undefined. */
function outputName(e: AstNode): string | undefined {
  if (str(e, 'alias') !== '') return str(e, 'alias');
  if (str(e, 'class') === 'COLUMN_REF') return (e.column_names as string[]).at(-1);
  return undefined;
}

/** Index in `select` of the output column a GROUP BY key names (same expression, position or alias), or -1. */
function groupKeyIndex(g: AstNode, select: readonly AstNode[], inputs: ReadonlySet<string>): number {
  let index = select.findIndex((e) => shape(e) === shape(g));
  if (index < 0 && str(g, 'class') === 'CONSTANT') {
    const value = g.value;
    const position = isNode(value) ? Number(value.value) : Number.NaN;
    if (Number.isInteger(position) && position >= 1 && position <= select.length) index = position - 1;
  }
  if (index < 0 && str(g, 'class') === 'COLUMN_REF') {
    const names = g.column_names as string[];
    if (names.length === 1 && !inputs.has(names[0]!.toLowerCase())) {
      index = select.findIndex((e) => str(e, 'alias').toLowerCase() === names[0]!.toLowerCase());
    }
  }
  return index;
}

/**
 * The GROUP BY keys as select-list expressions (alias cleared) with their output column names,
 * in GROUP BY order, or why stored rows cannot be matched to their group. Invariant on success:
 * every key is a distinct output column and all output columns are distinctly named.
 */
function groupKeys(
  node: AstNode,
  inputColumns: readonly string[],
): { keyExprs: AstNode[]; keyColumns: string[] } | string {
  const groups = nodes(node, 'group_expressions');
  const select = nodes(node, 'select_list');
  const inputs = new Set(inputColumns.map((c) => c.toLowerCase()));
  const keyExprs: AstNode[] = [];
  const keyColumns: string[] = [];
  for (const g of groups) {
    const index = groupKeyIndex(g, select, inputs);
    const name = index >= 0 ? outputName(select[index]!) : undefined;
    if (name === undefined) return 'a GROUP BY key is not a named output column';
    keyExprs.push({ ...clone(select[index]!), alias: '' });
    keyColumns.push(name);
  }
  if (new Set(keyColumns.map((c) => c.toLowerCase())).size !== keyColumns.length) {
    return 'two GROUP BY keys share an output column';
  }
  const outputs = select.map(outputName);
  if (
    outputs.some((n) => n === undefined) ||
    new Set(outputs.map((n) => n!.toLowerCase())).size !== outputs.length
  ) {
    return 'its output columns are not all distinctly named';
  }
  return { keyExprs, keyColumns };
}

/** The `SELECT DISTINCT <key i> AS __sluice_k<i> …` node over the query's input and WHERE. */
function keysQueryNode(node: AstNode, keyExprs: readonly AstNode[]): AstNode {
  return {
    ...clone(node),
    select_list: keyExprs.map((e, i) => ({ ...clone(e), alias: keyColumn(i) })),
    group_expressions: [],
    group_sets: [],
    having: null,
    modifiers: [{ type: 'DISTINCT_MODIFIER', distinct_on_targets: [] }],
  };
}

/** The query node reading only the input rows whose keys are in `keysTable` (NULL matches NULL). */
async function restrictedQueryNode(
  codec: SqlCodec,
  node: AstNode,
  from: AstNode,
  keyExprs: readonly AstNode[],
  keysTable: string,
): Promise<AstNode> {
  // FROM <input> SEMI JOIN keys ON keys.k0 IS NOT DISTINCT FROM <key 0> AND … (a hash join on
  // the key expressions; a correlated EXISTS would be decorrelated over every distinct input value)
  const holes = keyExprs.map((_, i) => `__sluice_hole_${i}`);
  const template = JSON.parse(
    await codec.serialize(
      `SELECT 1 FROM __sluice_input AS __sluice_input SEMI JOIN ${keysTable} AS __sluice_keys ON ${holes
        .map((h, i) => `__sluice_keys.${keyColumn(i)} IS NOT DISTINCT FROM ${h}`)
        .join(' AND ')}`,
    ),
  ) as AstNode;
  const templateNode = selectNode(template);
  if (typeof templateNode === 'string') throw new Error(`key join template: ${templateNode}`);
  const join = JSON.parse(JSON.stringify(templateNode.from_table), (_k, v: Json) => {
    if (isNode(v) && str(v, 'class') === 'COLUMN_REF') {
      const hole = holes.indexOf((v.column_names as string[]).join('.'));
      if (hole >= 0) return clone(keyExprs[hole]!);
    }
    return v;
  }) as AstNode;
  return { ...clone(node), from_table: { ...join, left: clone(from) } };
}

/**
 * The node computing each monotone key's value for rows of per-file column bounds (read as the
 * query reads its input), or undefined when no key is monotone.
 */
function boundsQueryNode(
  node: AstNode,
  from: AstNode,
  keyExprs: readonly AstNode[],
  monotoneColumns: readonly (string | undefined)[],
): AstNode | undefined {
  if (!monotoneColumns.some((c) => c !== undefined)) return undefined;
  const alias = str(from, 'alias') || str(from, 'table_name');
  return {
    ...clone(node),
    select_list: [
      {
        class: 'COLUMN_REF',
        type: 'COLUMN_REF',
        alias: '',
        query_location: 2 ** 64,
        column_names: ['__sluice_file'],
      },
      ...keyExprs.flatMap((e, i) =>
        monotoneColumns[i] === undefined ? [] : [{ ...clone(e), alias: `__sluice_b${i}` }],
      ),
    ],
    from_table: { ...clone(from), table_name: '__sluice_bounds', alias },
    where_clause: null,
    group_expressions: [],
    group_sets: [],
    having: null,
    modifiers: [],
  };
}

/**
 * Rewrites a grouped aggregate over one input for refresh by groups, or says why it cannot be.
 * `inputColumns` are the input's column names (to tell a GROUP BY alias from an input column).
 * `keysTable` is the table the restricted query reads keys from (columns `__sluice_k0`, …).
 */
export async function groupAggregateRewrite(
  codec: SqlCodec,
  sql: string,
  inputColumns: readonly string[],
  keysTable: string,
): Promise<GroupAggregateRewrite | NotGroupAggregate> {
  const parsed = JSON.parse(await codec.serialize(sql)) as AstNode;
  const node = selectNode(parsed);
  if (typeof node === 'string') return { reason: node };
  const unsupported = unsupportedShape(node);
  if (unsupported !== undefined) return { reason: unsupported };
  const from = node.from_table as AstNode;

  // Each GROUP BY key must be an output column, so stored rows can be matched to their group.
  const keys = groupKeys(node, inputColumns);
  if (typeof keys === 'string') return { reason: keys };
  const { keyExprs, keyColumns } = keys;

  const keysNode = keysQueryNode(node, keyExprs);
  const restrictedNode = await restrictedQueryNode(codec, node, from, keyExprs, keysTable);
  const monotoneColumns = keyExprs.map(monotoneColumn);
  const boundsNode = boundsQueryNode(node, from, keyExprs, monotoneColumns);
  const [keysSql, restrictedSql, boundsSql] = await Promise.all([
    codec.deserialize(statementJson(keysNode)),
    codec.deserialize(statementJson(restrictedNode)),
    boundsNode ? codec.deserialize(statementJson(boundsNode)) : Promise.resolve(undefined),
  ]);
  return { keyColumns, keysSql, restrictedSql, monotoneColumns, ...(boundsSql ? { boundsSql } : {}) };
}
