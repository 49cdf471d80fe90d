/**
 * Small builders of DuckDB expression nodes for the collection, lambda, map and JSON rules, and
 * the two tools their translations rest on:
 *
 * - **shapes**: the translation sees no types, so a rule that must tell an array from a map or a
 *   string (`size`, `element_at`, `reverse`) reads what the argument syntactically is
 *   ({@link shapeOf}). An unknown shape takes the array form, built from DuckDB functions that
 *   do not take maps: given a map at run time DuckDB fails to bind it — an error, never a
 *   different value. (A string may run where Spark rejects the query; no valid query changes.)
 * - **lambda variables**: a Spark lambda becomes a DuckDB lambda whose variables are bound to
 *   other expressions by substitution ({@link substitute}). Substituted expressions only ever
 *   name fresh variables ({@link freshName}, unused anywhere in the subtree), so no variable of
 *   the user's can capture them; a value that mentions the user's columns is bound with
 *   {@link letIn} first.
 *
 * Run-time errors Spark raises under ANSI mode are DuckDB `error()` calls whose message starts
 * with Spark's error class (`[INVALID_INDEX_OF_ZERO] …`).
 */
import {
  type AstNode,
  caseNode,
  castNode,
  comparison,
  conjunction,
  functionNode,
  integerConstant,
  isNode,
  type Json,
  nodes,
  nullConstant,
  operatorFunction,
  operatorNode,
  str,
  stringConstant,
} from '../ast.ts';

/** DuckDB's "no location" marker (see ast.ts). */
const NO_LOCATION = 2 ** 64;

/** A column (or lambda variable) reference, `a` or `a.b.c`. */
export function colRef(...names: string[]): AstNode {
  return {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: '',
    query_location: NO_LOCATION,
    column_names: names,
  };
}

/** A function call `name(args…)`. */
export const fn = (name: string, ...args: AstNode[]): AstNode => functionNode(name, args);
/** An arithmetic operator (`+`, `-`, `*`, `%`, `//`). */
export const op = (symbol: string, ...args: AstNode[]): AstNode => operatorFunction(symbol, args);
/** Literals: an INTEGER, a VARCHAR, NULL, a BOOLEAN. */
export const int = (n: number): AstNode => integerConstant(n);
export const text = (s: string): AstNode => stringConstant(s);
export const NULL = (): AstNode => nullConstant();
export const bool = (b: boolean): AstNode => castNode(stringConstant(b ? 't' : 'f'), 'BOOLEAN');
/** `CAST(x AS type)` for a type id (`INTEGER`, `VARCHAR[]` is not one: see {@link castTo}). */
export const cast = (x: AstNode, type: string): AstNode => castNode(x, type);

/** A DuckDB type: a type id (`INTEGER`, `VARCHAR`; `JSON` is the JSON extension's type) or a nested type. */
export type DuckType =
  | string
  | { readonly list: DuckType }
  | { readonly map: readonly [DuckType, DuckType] }
  | { readonly struct: readonly (readonly [string, DuckType])[] };

/** The serialized form of a DuckDB type (as `json_serialize_sql` writes `cast_type`). */
function typeNode(t: DuckType): AstNode {
  if (typeof t === 'string') {
    if (t !== 'JSON') return { id: t, type_info: null };
    const info = {
      type: 'UNBOUND_TYPE_INFO',
      alias: '',
      extension_info: null,
      name: 'json',
      catalog: '',
      schema: '',
    };
    return { id: 'UNBOUND', type_info: { ...info, user_type_modifiers: [] } };
  }
  const info = { alias: '', extension_info: null };
  if ('list' in t)
    return { id: 'LIST', type_info: { type: 'LIST_TYPE_INFO', ...info, child_type: typeNode(t.list) } };
  const fields: readonly (readonly [string, DuckType])[] =
    'map' in t
      ? [
          ['key', t.map[0]],
          ['value', t.map[1]],
        ]
      : t.struct;
  const struct = {
    id: 'STRUCT',
    type_info: {
      type: 'STRUCT_TYPE_INFO',
      ...info,
      child_types: fields.map(([first, second]) => ({ first, second: typeNode(second) })),
    },
  };
  return 'map' in t
    ? { id: 'MAP', type_info: { type: 'LIST_TYPE_INFO', ...info, child_type: struct } }
    : struct;
}

/** `CAST(x AS t)` for any {@link DuckType}. */
export function castTo(x: AstNode, t: DuckType): AstNode {
  return { ...castNode(x, 'VARCHAR'), cast_type: typeNode(t) };
}
/** `x IS NULL`, `x IS NOT NULL`, `NOT x`, `a AND b …`, `a OR b …`. */
export const isNull = (x: AstNode): AstNode => operatorNode('OPERATOR_IS_NULL', x);
export const isNotNull = (x: AstNode): AstNode => operatorNode('OPERATOR_IS_NOT_NULL', x);
export const not = (x: AstNode): AstNode => operatorNode('OPERATOR_NOT', x);
export const and = (...xs: AstNode[]): AstNode =>
  xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_AND', xs);
export const or = (...xs: AstNode[]): AstNode =>
  xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_OR', xs);

const COMPARISONS = {
  '=': 'COMPARE_EQUAL',
  '<>': 'COMPARE_NOTEQUAL',
  '<': 'COMPARE_LESSTHAN',
  '<=': 'COMPARE_LESSTHANOREQUALTO',
  '>': 'COMPARE_GREATERTHAN',
  '>=': 'COMPARE_GREATERTHANOREQUALTO',
  'is distinct from': 'COMPARE_DISTINCT_FROM',
  'is not distinct from': 'COMPARE_NOT_DISTINCT_FROM',
} as const;

/** `coalesce(x1, x2, …)` (DuckDB parses it as an operator and only accepts it back as one). */
export function coalesce(...xs: AstNode[]): AstNode {
  return {
    class: 'OPERATOR',
    type: 'OPERATOR_COALESCE',
    alias: '',
    query_location: NO_LOCATION,
    children: xs,
  };
}

/** A comparison `left <kind> right`. */
export const cmp = (kind: keyof typeof COMPARISONS, left: AstNode, right: AstNode): AstNode =>
  comparison(COMPARISONS[kind], left, right);

/** `CASE WHEN w1 THEN r1 … ELSE otherwise END`. */
export function when(checks: readonly (readonly [AstNode, AstNode])[], otherwise: AstNode): AstNode {
  return caseNode(
    checks.map(([w, result]) => ({ when: w, result })),
    otherwise,
  );
}

/** `list[i]` (DuckDB: 1-based for lists, a key lookup for maps). */
export function at(list: AstNode, i: AstNode): AstNode {
  return {
    class: 'OPERATOR',
    type: 'ARRAY_EXTRACT',
    alias: '',
    query_location: NO_LOCATION,
    children: [list, i],
  };
}

/** `(struct).name`. */
export function field(struct: AstNode, name: string): AstNode {
  return {
    class: 'OPERATOR',
    type: 'STRUCT_EXTRACT',
    alias: '',
    query_location: NO_LOCATION,
    children: [struct, stringConstant(name)],
  };
}

/** `struct_pack(name := value, …)`. */
export function structOf(fields: readonly (readonly [string, AstNode])[]): AstNode {
  return functionNode(
    'struct_pack',
    fields.map(([name, value]) => ({ ...value, alias: name })),
  );
}

/** A DuckDB lambda `(p1, p2) -> body`. */
export function lambda(params: readonly string[], body: AstNode): AstNode {
  const refs = params.map((p) => colRef(p));
  return {
    class: 'LAMBDA',
    type: 'LAMBDA',
    alias: '',
    query_location: NO_LOCATION,
    lhs: refs.length === 1 ? refs[0]! : { ...functionNode('row', refs), schema: 'main' },
    expr: body,
  };
}

/** The variable names of a Spark lambda argument, or undefined when `node` is not a lambda. */
export function lambdaParams(node: AstNode | undefined): string[] | undefined {
  if (node?.class !== 'LAMBDA' || !isNode(node.lhs)) return undefined;
  const lhs = node.lhs;
  const refs = lhs.class === 'COLUMN_REF' ? [lhs] : nodes(lhs, 'children');
  const names: string[] = [];
  for (const r of refs) {
    if (r.class !== 'COLUMN_REF' || !Array.isArray(r.column_names) || r.column_names.length !== 1)
      return undefined;
    names.push(String(r.column_names[0]));
  }
  return names;
}

/** A deep copy, for an argument used twice in one translation. */
export const dup = (x: AstNode): AstNode => structuredClone(x);

/** Spark's run-time error `errorClass` (ANSI mode) as a DuckDB `error()` call; `message` parts are concatenated. */
export function raise(errorClass: string, ...message: (string | AstNode)[]): AstNode {
  const parts = [`[${errorClass}] `, ...message].map((m) =>
    typeof m === 'string' ? stringConstant(m) : castNode(m, 'VARCHAR'),
  );
  const merged = parts.length === 1 ? parts[0]! : functionNode('concat', parts);
  return functionNode('error', [merged]);
}

/** Every name a subtree uses as a column or lambda variable (lower-cased), for {@link freshName}. */
function usedNames(v: Json, out: Set<string>): void {
  if (Array.isArray(v)) {
    for (const x of v) usedNames(x, out);
    return;
  }
  if (!isNode(v)) return;
  if (v.class === 'COLUMN_REF' && Array.isArray(v.column_names)) {
    for (const n of v.column_names) out.add(String(n).toLowerCase());
  }
  for (const k in v) {
    const x = v[k];
    if (x !== null && typeof x === 'object') usedNames(x, out);
  }
}

/** A variable name (`__sl_<base><n>`) that no column or variable of `scopes` uses. */
export function freshName(base: string, ...scopes: Json[]): string {
  const used = new Set<string>();
  for (const s of scopes) usedNames(s, used);
  for (let n = 0; ; n++) {
    const name = `__sl_${base}${n === 0 ? '' : n}`;
    if (!used.has(name)) return name;
  }
}

/**
 * `body` with the lambda variables of `bindings` (lower-cased names) replaced by expressions.
 * `x.f` on a replaced `x` becomes a field of the expression; a nested lambda that declares the
 * same name hides it. The bound expressions must name fresh variables only (see module comment).
 */
export function substitute(body: AstNode, bindings: ReadonlyMap<string, AstNode>): AstNode {
  return substituteJson(body, bindings) as AstNode;
}

function substituteJson(v: Json, bindings: ReadonlyMap<string, AstNode>): Json {
  if (Array.isArray(v)) return v.map((x) => substituteJson(x, bindings));
  if (!isNode(v) || bindings.size === 0) return v;
  if (v.class === 'COLUMN_REF' && Array.isArray(v.column_names)) {
    const names = v.column_names.map(String);
    const bound = bindings.get(names[0]!.toLowerCase());
    if (!bound) return v;
    let out = dup(bound);
    for (const name of names.slice(1)) out = field(out, name);
    return str(v, 'alias') ? { ...out, alias: str(v, 'alias') } : out;
  }
  if (v.class === 'LAMBDA') {
    const hidden = new Set((lambdaParams(v) ?? []).map((p) => p.toLowerCase()));
    const inner = new Map([...bindings].filter(([k]) => !hidden.has(k)));
    return { ...v, expr: substituteJson(v.expr ?? null, inner) };
  }
  const out: AstNode = {};
  for (const k in v) out[k] = substituteJson(v[k]!, bindings);
  return out;
}

/**
 * `body` evaluated with `name` bound to `value` (evaluated once): DuckDB has no LET, so the value
 * goes through a one-element list, `list_transform([value], name -> body)[1]`.
 */
export function letIn(name: string, value: AstNode, body: AstNode): AstNode {
  return at(fn('list_transform', fn('list_value', value), lambda([name], body)), int(1));
}

/** A column, a constant or a cast constant: cheap and safe to write more than once. */
export function isSimple(node: AstNode): boolean {
  if (node.class === 'COLUMN_REF' || node.class === 'CONSTANT') return true;
  return node.class === 'CAST' && isNode(node.child) && node.child.class === 'CONSTANT';
}

/**
 * Builds an expression that uses `values` several times: simple ones are repeated, the others are
 * evaluated once and bound to fields of one fresh variable ({@link letIn} over a struct). `ref(i)`
 * gives a new reference to value `i` each time. `scopes` are further subtrees the body will
 * contain, whose names the variable must not take.
 */
export function withValues(
  values: readonly AstNode[],
  build: (ref: (i: number) => AstNode) => AstNode,
  ...scopes: Json[]
): AstNode {
  const bound = values.map((v) => !isSimple(v));
  if (!bound.some(Boolean)) return build((i) => dup(values[i]!));
  const s = freshName('s', values as AstNode[], ...scopes);
  const body = build((i) => (bound[i] ? field(colRef(s), `v${i}`) : dup(values[i]!)));
  const fields = values.flatMap((v, i) => (bound[i] ? [[`v${i}`, v] as const] : []));
  return letIn(s, structOf(fields), body);
}

// ---------------------------------------------------------------------------------------------
// Shapes

export type Shape = 'array' | 'map' | 'string' | 'struct' | 'unknown';

/** DuckDB functions (as the rules emit them) that return a list. */
const LIST_FUNCTIONS = new Set([
  'list_value',
  'list_transform',
  'list_filter',
  'list_sort',
  'list_reverse_sort',
  'list_reverse',
  'list_distinct',
  'list_concat',
  'list_slice',
  'list_append',
  'list_prepend',
  'list_zip',
  'list_resize',
  'array_slice',
  'flatten',
  'range',
  'generate_series',
  'map_keys',
  'map_values',
  'map_entries',
  'string_split',
  'str_split',
  'string_split_regex',
  'regexp_split_to_array',
  'regexp_extract_all',
  'array_agg',
  'list',
]);

const MAP_FUNCTIONS = new Set(['map', 'map_from_entries', 'map_concat']);
const STRUCT_FUNCTIONS = new Set(['struct_pack', 'row']);

/** What `node` (a translated expression) is, as far as its syntax tells. */
export function shapeOf(node: AstNode): Shape {
  switch (node.class) {
    case 'FUNCTION': {
      const name = str(node, 'function_name').toLowerCase();
      if (LIST_FUNCTIONS.has(name)) return 'array';
      if (MAP_FUNCTIONS.has(name)) return 'map';
      if (STRUCT_FUNCTIONS.has(name)) return 'struct';
      if (name === 'concat' || name === '||') {
        const shapes = nodes(node, 'children').map(shapeOf);
        return shapes.find((s) => s !== 'unknown') ?? 'unknown';
      }
      return 'unknown';
    }
    case 'CAST': {
      const id = isNode(node.cast_type) ? str(node.cast_type, 'id') : '';
      if (id === 'LIST' || id === 'ARRAY') return 'array';
      if (id === 'MAP') return 'map';
      if (id === 'STRUCT') return 'struct';
      if (id === 'VARCHAR') return 'string';
      return 'unknown';
    }
    case 'CONSTANT': {
      const v = node.value;
      const id = isNode(v) && isNode(v.type) ? str(v.type, 'id') : '';
      return id === 'VARCHAR' && isNode(v) && v.is_null !== true ? 'string' : 'unknown';
    }
    case 'CASE': {
      // The first branch whose shape is known (guards return NULL or error()).
      for (const c of nodes(node, 'case_checks')) {
        const s = isNode(c.then_expr) ? shapeOf(c.then_expr) : 'unknown';
        if (s !== 'unknown') return s;
      }
      return isNode(node.else_expr) ? shapeOf(node.else_expr) : 'unknown';
    }
    case 'OPERATOR':
      if (node.type === 'OPERATOR_COALESCE') {
        const shapes = nodes(node, 'children').map(shapeOf);
        return shapes.find((s) => s !== 'unknown') ?? 'unknown';
      }
      if (node.type === 'ARRAY_SLICE') return 'array';
      return 'unknown';
    default:
      return 'unknown';
  }
}
