/**
 * A small vocabulary for writing DuckDB expressions as AST nodes, used by the Spark cast
 * translation (`casts.ts`), whose rewrites are long enough that raw node literals would hide
 * what they compute. Every builder returns a fresh node in the shape DuckDB's serializer emits.
 */
import {
  type AstNode,
  caseNode,
  comparison,
  conjunction,
  functionNode,
  integerConstant,
  nullConstant,
  operatorFunction,
  operatorNode,
  stringConstant,
} from './ast.ts';

/** A DuckDB type as a parse-tree `cast_type` (`{id, type_info}`). */
export type DuckType = AstNode;

/** A parameterless DuckDB type (`VARCHAR`, `BIGINT`, `TIMESTAMP WITH TIME ZONE`, …). */
export function duckType(id: string): DuckType {
  return { id, type_info: null };
}

export function decimalType(precision: number, scale: number): DuckType {
  return {
    id: 'DECIMAL',
    type_info: { type: 'DECIMAL_TYPE_INFO', alias: '', extension_info: null, width: precision, scale },
  };
}

export function listType(element: DuckType): DuckType {
  return {
    id: 'LIST',
    type_info: { type: 'LIST_TYPE_INFO', alias: '', extension_info: null, child_type: element },
  };
}

const NO_LOCATION = 2 ** 64;

/**
 * Marks a cast built here, by the translation of Spark's casts: its meaning is already Spark's
 * (cast-legacy.ts `legacyDecimalText` leaves it alone). A symbol key: not serialized.
 */
export const SPARK_CAST_NODE: unique symbol = Symbol('sluice.sparkCast');

/**
 * Marks a `CAST(x AS VARCHAR)` by which a function makes its argument text where Spark casts it
 * to STRING implicitly (a string function's argument): with ANSI mode off a DECIMAL prints there
 * as Java's `BigDecimal.toString` (cast-legacy.ts `legacyDecimalText`). A string key, so that
 * copies of the node keep it; DuckDB's plan reader ignores it.
 */
export const SPARK_TEXT_KEY = 'sluice_spark_text';

function castTo(x: AstNode, type: DuckType, tryCast: boolean): AstNode {
  return {
    class: 'CAST',
    type: 'OPERATOR_CAST',
    alias: '',
    query_location: NO_LOCATION,
    child: x,
    cast_type: type,
    try_cast: tryCast,
    [SPARK_CAST_NODE]: true,
  } as AstNode;
}

/** DuckDB `CAST(x AS type)` (DuckDB's own semantics: use only where they equal Spark's). */
export const cast = (x: AstNode, type: DuckType): AstNode => castTo(x, type, false);
/** DuckDB `TRY_CAST(x AS type)`: NULL where DuckDB cannot convert. */
export const tryCast = (x: AstNode, type: DuckType): AstNode => castTo(x, type, true);

export const fn = (name: string, ...args: AstNode[]): AstNode => functionNode(name, args);
export const str = (s: string): AstNode => stringConstant(s);
export const int = (n: number): AstNode => integerConstant(n);
/** A BIGINT constant written as text (JSON numbers cannot hold every 64-bit integer). */
export const bigint = (digits: string): AstNode => cast(stringConstant(digits), duckType('BIGINT'));
export const double = (text: string): AstNode => cast(stringConstant(text), duckType('DOUBLE'));
export const nul = (): AstNode => nullConstant();

export const add = (a: AstNode, b: AstNode): AstNode => operatorFunction('+', [a, b]);
export const sub = (a: AstNode, b: AstNode): AstNode => operatorFunction('-', [a, b]);
export const mul = (a: AstNode, b: AstNode): AstNode => operatorFunction('*', [a, b]);
export const div = (a: AstNode, b: AstNode): AstNode => operatorFunction('/', [a, b]);
/** DuckDB `//`: integer division rounding toward negative infinity. */
export const floorDiv = (a: AstNode, b: AstNode): AstNode => operatorFunction('//', [a, b]);
export const concat = (...parts: AstNode[]): AstNode => functionNode('concat', parts);

export const eq = (a: AstNode, b: AstNode): AstNode => comparison('COMPARE_EQUAL', a, b);
export const ne = (a: AstNode, b: AstNode): AstNode => comparison('COMPARE_NOTEQUAL', a, b);
export const lt = (a: AstNode, b: AstNode): AstNode => comparison('COMPARE_LESSTHAN', a, b);
export const le = (a: AstNode, b: AstNode): AstNode => comparison('COMPARE_LESSTHANOREQUALTO', a, b);
export const gt = (a: AstNode, b: AstNode): AstNode => comparison('COMPARE_GREATERTHAN', a, b);
export const ge = (a: AstNode, b: AstNode): AstNode => comparison('COMPARE_GREATERTHANOREQUALTO', a, b);

export const and = (...xs: AstNode[]): AstNode =>
  xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_AND', xs);
export const or = (...xs: AstNode[]): AstNode =>
  xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_OR', xs);
export const not = (x: AstNode): AstNode => operatorNode('OPERATOR_NOT', x);
export const isNull = (x: AstNode): AstNode => operatorNode('OPERATOR_IS_NULL', x);
export const isNotNull = (x: AstNode): AstNode => operatorNode('OPERATOR_IS_NOT_NULL', x);

/** `x IN (values…)`. */
export function isIn(x: AstNode, values: readonly AstNode[]): AstNode {
  return {
    class: 'OPERATOR',
    type: 'COMPARE_IN',
    alias: '',
    query_location: NO_LOCATION,
    children: [x, ...values],
  };
}

/** `CASE WHEN c1 THEN r1 … ELSE otherwise END` (ELSE NULL when omitted). */
export function when(checks: readonly (readonly [AstNode, AstNode])[], otherwise: AstNode = nul()): AstNode {
  return caseNode(
    checks.map(([w, r]) => ({ when: w, result: r })),
    otherwise,
  );
}

/** `regexp_full_match(s, pattern)` (RE2 syntax). */
export const matches = (s: AstNode, pattern: string): AstNode => fn('regexp_full_match', s, str(pattern));

/** Group `group` of the first match of `pattern` in `s` ('' when it does not match). */
export const extract = (s: AstNode, pattern: string, group = 0): AstNode =>
  fn('regexp_extract', s, str(pattern), int(group));

/** `list[index]` (1-based). */
export function element(list: AstNode, index: number): AstNode {
  return {
    class: 'OPERATOR',
    type: 'ARRAY_EXTRACT',
    alias: '',
    query_location: NO_LOCATION,
    children: [list, int(index)],
  };
}

export function columnRef(name: string): AstNode {
  return {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: '',
    query_location: NO_LOCATION,
    column_names: [name],
  };
}

/** `lambda name: body` as DuckDB's parse tree writes it. */
export function lambda(name: string, body: AstNode): AstNode {
  return {
    class: 'LAMBDA',
    type: 'LAMBDA',
    alias: '',
    query_location: NO_LOCATION,
    lhs: columnRef(name),
    expr: body,
  };
}

/** `coalesce(xs…)`: the first argument that is not NULL. */
export function coalesce(...xs: AstNode[]): AstNode {
  return {
    class: 'OPERATOR',
    type: 'OPERATOR_COALESCE',
    alias: '',
    query_location: NO_LOCATION,
    children: xs,
  };
}

/** DuckDB `try(x)`: NULL where evaluating `x` fails. */
export function attempt(x: AstNode): AstNode {
  return { class: 'OPERATOR', type: 'OPERATOR_TRY', alias: '', query_location: NO_LOCATION, children: [x] };
}

/**
 * Fails the statement with `message` (`[CODE] text`), as a value of `type`: a cast of the message
 * to INTEGER, which cannot read it (Conversion Error: Could not convert string '[CODE] text'…;
 * `errors/duckdb-errors.ts` reads the code back). Unlike DuckDB's `error()`, a cast is not
 * volatile, so an expression holding it can be deduplicated and wrapped in `try(…)` (Spark's
 * `try_…` functions catch the errors of their arguments too).
 */
export function fail(message: AstNode, type: DuckType): AstNode {
  return tryCast(cast(message, duckType('INTEGER')), type);
}
