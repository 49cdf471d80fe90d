/**
 * Small builders of DuckDB expression trees for the function rules that rewrite a call into a
 * compound expression (CASE, arithmetic, several aggregates), and the two facts such rewrites
 * need about an argument: its Spark type when the call site shows it (`staticType`), and whether
 * it may be evaluated more than once (`reusable`).
 *
 * Types: sluice translates without knowing the types of columns, while Spark's result type (and
 * sometimes value) depends on them. A rule that is exact for some input types only guards the
 * others with `typeGuard`: DuckDB folds `typeof(x)` when it binds the query, so the guard costs
 * nothing for an accepted type and fails the query with a message naming the function for the
 * others — never a silently different result.
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
import { VOLATILE_FUNCTIONS } from '../volatility.ts';
import type { FunctionCall } from './rules.ts';

export const fn = (name: string, ...args: AstNode[]): AstNode => functionNode(name, args);
export const op = (symbol: string, ...args: AstNode[]): AstNode => operatorFunction(symbol, args);
export const and = (...xs: AstNode[]): AstNode =>
  xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_AND', xs);
export const or = (...xs: AstNode[]): AstNode =>
  xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_OR', xs);
export const not = (x: AstNode): AstNode => operatorNode('OPERATOR_NOT', x);
export const isNull = (x: AstNode): AstNode => operatorNode('OPERATOR_IS_NULL', x);
export const isNotNull = (x: AstNode): AstNode => operatorNode('OPERATOR_IS_NOT_NULL', x);
export const nul = (): AstNode => nullConstant();
export const text = (s: string): AstNode => stringConstant(s);
export const int = (n: number): AstNode => integerConstant(n);
export const cast = (x: AstNode, type: string): AstNode => castNode(x, type);
/** A DOUBLE constant (written as a cast of its text, so NaN and infinities work too). */
export const double = (v: number | 'NaN' | 'Infinity' | '-Infinity'): AstNode =>
  castNode(stringConstant(String(v)), 'DOUBLE');
export const asDouble = (x: AstNode): AstNode => castNode(x, 'DOUBLE');

const COMPARE = {
  '=': 'COMPARE_EQUAL',
  '<>': 'COMPARE_NOTEQUAL',
  '<': 'COMPARE_LESSTHAN',
  '>': 'COMPARE_GREATERTHAN',
  '<=': 'COMPARE_LESSTHANOREQUALTO',
  '>=': 'COMPARE_GREATERTHANOREQUALTO',
} as const;
export const cmp = (o: keyof typeof COMPARE, a: AstNode, b: AstNode): AstNode => comparison(COMPARE[o], a, b);

/** `CASE WHEN c1 THEN v1 … ELSE otherwise END` (otherwise NULL). */
export function when(cases: readonly (readonly [AstNode, AstNode])[], otherwise: AstNode = nul()): AstNode {
  return caseNode(
    cases.map(([w, r]) => ({ when: w, result: r })),
    otherwise,
  );
}

/** COALESCE, which DuckDB only accepts in its operator form. */
export const coalesce = (...xs: AstNode[]): AstNode => ({
  ...operatorNode('OPERATOR_NOT', xs[0]!),
  type: 'OPERATOR_COALESCE',
  children: xs,
});

/** A cast to DECIMAL(p, s). */
export function castDecimal(x: AstNode, precision: number, scale: number): AstNode {
  return {
    ...castNode(x, 'DECIMAL'),
    cast_type: {
      id: 'DECIMAL',
      type_info: { type: 'DECIMAL_TYPE_INFO', alias: '', extension_info: null, width: precision, scale },
    },
  };
}

/**
 * Fails the query when evaluated, with a sluice error code: DuckDB reports `error('[CODE] …')`
 * as that code (errors/duckdb-errors.ts).
 */
export const fail = (
  message: string,
  code: 'UNSUPPORTED_SPARK_FUNCTION' | 'DIVIDE_BY_ZERO' = 'UNSUPPORTED_SPARK_FUNCTION',
): AstNode => fn('error', stringConstant(`[${code}] ${message}`));

/**
 * An aggregate call that keeps the FILTER of the Spark call `c` (each aggregate of a rewrite must
 * see the same rows). DISTINCT is the caller's decision (`distinct`).
 */
export function aggregate(
  c: FunctionCall,
  name: string,
  args: AstNode[],
  filter?: AstNode,
  distinct = false,
): AstNode {
  const own = isNode(c.node.filter) ? structuredClone(c.node.filter) : undefined;
  const both = own && filter ? and(own, filter) : (own ?? filter ?? null);
  return { ...functionNode(name, args), filter: both, distinct };
}

// ---------------------------------------------------------------------------------------------
// What the call site shows about types

/** DuckDB type names of Spark's integral types (and DuckDB's wider ones an expression may have). */
export const INTEGRAL = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT'] as const;
export const FRACTIONAL = ['FLOAT', 'DOUBLE'] as const;

/** A Spark type known at compile time: a literal, a cast, or the negation of one. */
export type StaticType =
  | { readonly kind: 'integral'; readonly name: (typeof INTEGRAL)[number] }
  | { readonly kind: 'fractional'; readonly name: (typeof FRACTIONAL)[number] }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'other'; readonly name: string };

function fromTypeId(id: string, info: Json | undefined): StaticType {
  if ((INTEGRAL as readonly string[]).includes(id))
    return { kind: 'integral', name: id as (typeof INTEGRAL)[number] };
  if ((FRACTIONAL as readonly string[]).includes(id))
    return { kind: 'fractional', name: id as (typeof FRACTIONAL)[number] };
  if (id === 'DECIMAL') {
    const width = isNode(info) && typeof info.width === 'number' ? info.width : 18;
    const scale = isNode(info) && typeof info.scale === 'number' ? info.scale : 3;
    return { kind: 'decimal', precision: width, scale };
  }
  return { kind: 'other', name: id };
}

/**
 * The Spark type of `x` when the call site shows it, else undefined. A decimal literal has
 * Spark's type (`0.1` is DECIMAL(1,1); DuckDB says DECIMAL(2,1)); an integer literal beyond
 * BIGINT is Spark's DECIMAL(n,0).
 */
export function staticType(x: AstNode): StaticType | undefined {
  if (x.class === 'CONSTANT' && isNode(x.value) && isNode(x.value.type)) {
    const id = str(x.value.type, 'id');
    const v = x.value.value;
    if (x.value.is_null === true) return { kind: 'other', name: 'NULL' };
    if (id === 'DECIMAL' && isNode(x.value.type.type_info)) {
      const scale = Number(x.value.type.type_info.scale ?? 0);
      const digits = String(v)
        .replace(/^-/, '')
        .replace(/^0+(?=\d)/, '').length;
      return { kind: 'decimal', precision: Math.max(digits, scale, 1), scale };
    }
    if (id === 'HUGEINT' || id === 'UHUGEINT' || id === 'UBIGINT') {
      return { kind: 'decimal', precision: String(v).replace(/^-/, '').length, scale: 0 };
    }
    return fromTypeId(id === 'INTEGER_LITERAL' ? 'INTEGER' : id, undefined);
  }
  if (x.class === 'CAST' && x.try_cast !== true && isNode(x.cast_type)) {
    return fromTypeId(str(x.cast_type, 'id'), x.cast_type.type_info);
  }
  if (x.class === 'FUNCTION' && x.is_operator === true && str(x, 'function_name') === '-') {
    const args = nodes(x, 'children');
    if (args.length === 1) return staticType(args[0]!);
  }
  return undefined;
}

/**
 * `body`, unless DuckDB's type of `x` is none of `accepted` (names as `typeof` prints them; a name
 * ending in `(` matches any parameters, `DECIMAL(` any decimal): then a query failure naming
 * `what`. Folded by DuckDB when it binds the query.
 */
export function typeGuard(x: AstNode, accepted: readonly string[], what: string, body: AstNode): AstNode {
  return when([[not(typeIs(x, [...accepted, NULL_TYPE])), fail(what)]], body);
}

/** How `typeof` names the type of an untyped NULL (`VALUES (NULL)`): accepted by every guard. */
const NULL_TYPE = '"NULL"';

/**
 * What a type guard of an aggregate's argument inspects: min(x) has x's type, and an aggregate
 * can be named where the bare column cannot (outside GROUP BY). DuckDB drops it with the guard.
 */
export const aggregateProbe = (x: AstNode): AstNode => fn('min', structuredClone(x));

/** Whether DuckDB's type of `x` is one of `types` (see `typeGuard`); folded when DuckDB binds. */
export function typeIs(x: AstNode, types: readonly string[]): AstNode {
  const pattern = `^(${types.map((t) => (t.endsWith('(') ? `${t.slice(0, -1)}\\(.*` : t)).join('|')})$`;
  return fn('regexp_full_match', fn('typeof', structuredClone(x)), text(pattern));
}

/** `typeGuard` for two arguments: their types must be one of the `accepted` combinations. */
export function pairGuard(
  a: AstNode,
  b: AstNode,
  accepted: readonly (readonly [readonly string[], readonly string[]])[],
  what: string,
  body: AstNode,
): AstNode {
  const ok = or(
    ...accepted.map(([ta, tb]) => and(typeIs(a, [...ta, NULL_TYPE]), typeIs(b, [...tb, NULL_TYPE]))),
  );
  return when([[not(ok), fail(what)]], body);
}

/** DuckDB's names of Spark's number types (`DECIMAL(` matches every decimal). */
export const NUMERIC: readonly string[] = [
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'FLOAT',
  'DOUBLE',
  'DECIMAL(',
];

// ---------------------------------------------------------------------------------------------
// Evaluating an argument more than once

function callsVolatile(v: Json): boolean {
  if (Array.isArray(v)) return v.some(callsVolatile);
  if (!isNode(v)) return false;
  if (
    (v.class === 'FUNCTION' || v.class === 'WINDOW') &&
    VOLATILE_FUNCTIONS.includes(str(v, 'function_name'))
  )
    return true;
  if (v.class === 'SUBQUERY') return true;
  return Object.values(v).some((x) => x !== null && typeof x === 'object' && callsVolatile(x));
}

/**
 * A copy-maker for an argument the rewrite uses more than once: refused when the argument is
 * not deterministic (`rand()`, a subquery), where two evaluations could differ.
 */
export function reusable(c: FunctionCall, x: AstNode): () => AstNode {
  if (callsVolatile(x))
    c.unsupported(`its argument is not deterministic and the translation evaluates it more than once`);
  return () => structuredClone(x);
}

/**
 * The value of a numeric literal argument (also one Spark-typed by a cast, `0.5` or `2L`, and its
 * negation), or undefined when the argument is not a literal.
 */
export function literalNumber(x: AstNode): number | undefined {
  if (x.class === 'CAST' && isNode(x.child)) return literalNumber(x.child);
  // A checked cast of a literal: COALESCE(TRY_CAST(literal AS t), <failure>).
  if (x.class === 'OPERATOR' && x.type === 'OPERATOR_COALESCE') {
    const first = nodes(x, 'children')[0];
    return first ? literalNumber(first) : undefined;
  }
  if (x.class === 'FUNCTION' && x.is_operator === true && str(x, 'function_name') === '-') {
    const inner = nodes(x, 'children');
    const v = inner.length === 1 ? literalNumber(inner[0]!) : undefined;
    return v === undefined ? undefined : -v;
  }
  if (x.class !== 'CONSTANT' || !isNode(x.value) || x.value.is_null === true) return undefined;
  const type = isNode(x.value.type) ? str(x.value.type, 'id') : '';
  const v = x.value.value;
  if (type === 'DECIMAL' && isNode(x.value.type) && isNode(x.value.type.type_info)) {
    return Number(v) / 10 ** Number(x.value.type.type_info.scale ?? 0);
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return undefined;
}
