import type { SourceLocation } from '../errors/index.ts';
import {
  type AstNode,
  castNode,
  constantText,
  functionNode,
  isNode,
  NO_LOCATION,
  nodes,
  queryLocation,
  str,
} from './ast.ts';
import { cmp, fn, int, NULL, op, or, raise, shapeOf, when, withValues } from './functions/build.ts';
import { decodeJsonPath, jsonPathAlias, jsonPathExtract } from './json-path.ts';
import {
  bitwiseXor,
  divide,
  integralDivide,
  remainder,
  shiftLeft,
  shiftRight,
  shiftRightUnsigned,
} from './operators.ts';
import { type Locate, unsupportedSyntax } from './syntax-errors.ts';

/**
 * The AST side of the Spark syntax the pre-pass rewrites: calls of `__sluice_*` functions it
 * writes for operators and literals DuckDB reads differently, and the query-level fixes only
 * the parsed tree can make (JSON path column names, `* EXCEPT` on struct fields, the names of
 * VALUES columns, `range(…)` as a table).
 */

const PREFIX = '__sluice_';

/** A call the pre-pass wrote (`__sluice_xor(a, b)`, …), translated by {@link translateSyntaxFunction}. */
export function isSyntaxFunction(lowerName: string): boolean {
  return lowerName.startsWith(PREFIX);
}

type Builder = (args: AstNode[], node: AstNode, legacy: boolean) => AstNode;

const BINARY: Readonly<Record<string, (a: AstNode, b: AstNode, legacy: boolean) => AstNode>> = {
  divide,
  mod: remainder,
  div: integralDivide,
  xor: bitwiseXor,
  shiftleft: shiftLeft,
  shiftright: shiftRight,
  shiftrightunsigned: shiftRightUnsigned,
};

const BUILDERS: Readonly<Record<string, Builder>> = {
  ...Object.fromEntries(
    Object.entries(BINARY).map(([name, f]) => [
      name,
      (args: AstNode[], _node: AstNode, legacy: boolean) => f(args[0]!, args[1]!, legacy),
    ]),
  ),
  binary_literal: (args) => functionNode('from_hex', args),
  literal: (args) => typedLiteral(args[0]!, constantText(args[1]!) ?? ''),
  like: (args) => functionNode('like_escape', args),
  ilike: (args) => functionNode('ilike_escape', args),
  struct_star: (args) => functionNode('unnest', args),
  json_path: (args) => {
    const steps = decodeJsonPath(constantText(args[1]!) ?? '');
    if (!steps) throw new Error('malformed JSON path from the pre-pass');
    return jsonPathExtract(args[0]!, steps);
  },
};

/** `CAST(value AS type)` for a literal the pre-pass typed (`10L`, `1.5BD`, …). */
function typedLiteral(value: AstNode, type: string): AstNode {
  const decimal = /^DECIMAL\((\d+), (\d+)\)$/.exec(type);
  if (!decimal) return castNode(value, type);
  return {
    ...castNode(value, 'DECIMAL'),
    cast_type: {
      id: 'DECIMAL',
      type_info: {
        type: 'DECIMAL_TYPE_INFO',
        alias: '',
        extension_info: null,
        width: Number(decimal[1]),
        scale: Number(decimal[2]),
      },
    },
  };
}

/**
 * The DuckDB expression of a pre-pass call; its arguments are already translated. `legacy`:
 * ANSI mode off (a zero divisor gives NULL).
 */
export function translateSyntaxFunction(node: AstNode, legacy = false): AstNode {
  const name = str(node, 'function_name').toLowerCase().slice(PREFIX.length);
  const build = BUILDERS[name];
  if (!build) throw new Error(`unknown pre-pass function ${str(node, 'function_name')}`);
  return build(nodes(node, 'children'), node, legacy);
}

/**
 * Query-level fixes of one SELECT before it is translated: a JSON path select item without an
 * alias is named after its last field (Spark's name), and `* EXCEPT (x.f)` must name a column of
 * a relation of the FROM clause — excluding a field of a struct is not supported.
 */
export function prepareSelect(
  select: AstNode,
  locate: (byteOffset: number | undefined) => SourceLocation | undefined,
): void {
  for (const item of nodes(select, 'select_list')) {
    if (
      item.class === 'FUNCTION' &&
      str(item, 'function_name') === `${PREFIX}json_path` &&
      !str(item, 'alias')
    ) {
      const args = nodes(item, 'children');
      const steps = args[1] ? decodeJsonPath(constantText(args[1]) ?? '') : undefined;
      const alias = steps ? jsonPathAlias(steps) : undefined;
      if (alias) item.alias = alias;
    }
    if (item.class === 'STAR') checkStarExcept(select, item, locate);
  }
}

function checkStarExcept(
  select: AstNode,
  star: AstNode,
  locate: (byteOffset: number | undefined) => SourceLocation | undefined,
): void {
  const qualified = nodes(star, 'qualified_exclude_list');
  if (qualified.length === 0) return;
  const relations = new Set<string>();
  relationNames(select.from_table, relations);
  for (const q of qualified) {
    const table = str(q, 'table');
    if (relations.has(table.toLowerCase())) continue;
    const name = `${table}.${str(q, 'column')}`;
    const at: Locate = (offset) => locate(offset);
    throw unsupportedSyntax(
      '* EXCEPT',
      `\`* EXCEPT (${name})\`: '${table}' is not a table of the FROM clause, and excluding a field of a struct column is not supported`,
      { start: queryLocation(star) ?? 0 },
      at,
      { column: name },
    );
  }
}

/** The names (aliases, else table names) of the relations of a FROM clause, lower-cased. */
function relationNames(rel: unknown, out: Set<string>): void {
  if (!isNode(rel as AstNode)) return;
  const r = rel as AstNode;
  const alias = str(r, 'alias');
  if (r.type === 'JOIN') {
    relationNames(r.left, out);
    relationNames(r.right, out);
    return;
  }
  if (alias) out.add(alias.toLowerCase());
  else if (r.type === 'BASE_TABLE') out.add(str(r, 'table_name').toLowerCase());
}

/**
 * Spark's subscript `x[i]` (DuckDB's ARRAY_EXTRACT as parsed): an array element counted from 0,
 * failing with INVALID_ARRAY_INDEX out of bounds (ANSI mode); a map value or a struct field by
 * key otherwise. DuckDB counts list elements from 1 and reads `'abc'[1]` as a character, so
 * when the syntax does not show a map or a struct the array form is built from list-only
 * functions: a map or a string there fails to bind (an error, never another value).
 * DuckDB's slices (`x[1:2]`) are no Spark syntax.
 */
export function translateSubscript(
  node: AstNode,
  locate: (n: AstNode) => SourceLocation | undefined,
  legacy = false,
): AstNode {
  if (node.type === 'ARRAY_SLICE') {
    throw unsupportedSyntax(
      '[a:b]',
      'slices (x[a:b]) are not Spark SQL; use slice(x, start, length)',
      { start: 0 },
      () => locate(node),
    );
  }
  if (node.type !== 'ARRAY_EXTRACT') return node;
  const [base, index] = nodes(node, 'children');
  if (!base || !index) return node;
  const shape = shapeOf(base);
  if (shape === 'map' || shape === 'struct' || (shape === 'unknown' && shapeOf(index) === 'string'))
    return node;
  const out = withValues([base, index], (ref) => {
    const size = () => fn('array_length', ref(0));
    return when(
      [
        [
          or(cmp('<', ref(1), int(0)), cmp('>=', ref(1), size())),
          // ANSI mode off: NULL (Spark's non-ANSI subscript).
          legacy
            ? NULL()
            : raise(
                'INVALID_ARRAY_INDEX',
                'The index ',
                ref(1),
                ' is out of bounds. The array has ',
                size(),
                ' elements. Use the SQL function `get()` to tolerate accessing element at invalid index and return NULL instead.',
              ),
        ],
      ],
      fn('list_extract', ref(0), op('+', ref(1), int(1))),
    );
  });
  return { ...out, alias: node.alias ?? '' };
}

/** Spark names the columns of an inline table `col1`, `col2`, … (DuckDB: `col0`, …). */
export function nameValuesColumns(list: AstNode): void {
  const names = list.expected_names;
  if (Array.isArray(names) && names.length > 0) return;
  const first = Array.isArray(list.values) ? list.values[0] : undefined;
  if (!Array.isArray(first)) return;
  list.expected_names = first.map((_, i) => `col${i + 1}`);
}

/** Spark's generators, which Spark also reads as table-valued functions (`FROM explode(…)`). */
const GENERATORS = new Set([
  'explode',
  'explode_outer',
  'posexplode',
  'posexplode_outer',
  'inline',
  'inline_outer',
  'stack',
  'json_tuple',
  'variant_explode',
  'variant_explode_outer',
]);

/** Whether a table function is one of Spark's generators. */
export function isGeneratorTable(lowerName: string): boolean {
  return GENERATORS.has(lowerName);
}

/** `FROM gen(…) [AS] t(…)` → `FROM (SELECT gen(…)) AS t(…)`: the generator in a select list. */
export function generatorTable(node: AstNode, fn: AstNode): AstNode {
  return subqueryOf(node, [{ ...fn, alias: '' }], null, str(fn, 'function_name').toLowerCase());
}

function subqueryOf(
  node: AstNode,
  selectList: AstNode[],
  from: AstNode | null,
  defaultAlias: string,
): AstNode {
  const select: AstNode = {
    type: 'SELECT_NODE',
    modifiers: [],
    cte_map: { map: [] },
    select_list: selectList,
    from_table: from ?? { type: 'EMPTY', alias: '', sample: null, query_location: NO_LOCATION },
    where_clause: null,
    group_expressions: [],
    group_sets: [],
    aggregate_handling: 'STANDARD_HANDLING',
    having: null,
    sample: null,
    qualify: null,
  };
  return {
    type: 'SUBQUERY',
    alias: str(node, 'alias') || defaultAlias,
    sample: node.sample ?? null,
    query_location: node.query_location ?? NO_LOCATION,
    subquery: { node: select, named_param_map: [] },
    column_name_alias: node.column_name_alias ?? [],
  };
}

/**
 * `range(end)`, `range(start, end[, step[, partitions]])` as a table: Spark's one BIGINT column
 * `id` (DuckDB's `range` names it `range`; the partition count changes no row).
 */
export function rangeTable(node: AstNode, fn: AstNode): AstNode {
  const args = nodes(fn, 'children').slice(0, 3);
  const inner: AstNode = {
    type: 'TABLE_FUNCTION',
    alias: '',
    sample: null,
    query_location: fn.query_location ?? NO_LOCATION,
    function: { ...fn, children: args },
    column_name_alias: [],
    with_ordinality: 'WITHOUT_ORDINALITY',
  };
  const id: AstNode = {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: 'id',
    query_location: fn.query_location ?? NO_LOCATION,
    column_names: ['range'],
  };
  return subqueryOf(node, [id], inner, 'range');
}
