/**
 * Small builders for the DuckDB expressions function rules produce, and the helpers rules use to
 * stay exact without knowing argument types at translation time.
 *
 * Rules see a call before DuckDB binds it, so an argument's type is unknown. Where Spark's
 * result depends on the type (a string's length counts characters, a binary's counts bytes),
 * a rule branches on `typeof(x)`: `CASE WHEN typeof(x) = 'BLOB' THEN f(CAST(x AS BLOB)) ELSE
 * g(CAST(x AS VARCHAR)) END`. Every branch binds whatever `x` is (the casts make it so), and
 * DuckDB evaluates a branch only for the rows that take it, so the branch a type does not take
 * never runs. Branches must agree on their result type.
 */
import { isSluiceError, SluiceError } from '../../errors/index.ts';
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
  nullConstant,
  operatorFunction,
  operatorNode,
  stringConstant,
} from '../ast.ts';
import { SPARK_TEXT_KEY } from '../cast-ast.ts';
import { VOLATILE_FUNCTIONS } from '../volatility.ts';
import type { FunctionCall } from './rules.ts';

export { integerConstant as int, nullConstant as nul, stringConstant as text } from '../ast.ts';

/** `name(args…)`. */
export const fn = (name: string, ...args: AstNode[]): AstNode => functionNode(name, args);

/** An operator written as a function (`+`, `-`, `*`, `//`, `%`, `&`, `|`, `<<`, `>>`, `~`, `||`). */
export const op = (symbol: string, ...args: AstNode[]): AstNode => operatorFunction(symbol, args);

export const eq = (a: AstNode, b: AstNode) => comparison('COMPARE_EQUAL', a, b);
export const ne = (a: AstNode, b: AstNode) => comparison('COMPARE_NOTEQUAL', a, b);
export const lt = (a: AstNode, b: AstNode) => comparison('COMPARE_LESSTHAN', a, b);
export const le = (a: AstNode, b: AstNode) => comparison('COMPARE_LESSTHANOREQUALTO', a, b);
export const gt = (a: AstNode, b: AstNode) => comparison('COMPARE_GREATERTHAN', a, b);
export const ge = (a: AstNode, b: AstNode) => comparison('COMPARE_GREATERTHANOREQUALTO', a, b);
export const notDistinct = (a: AstNode, b: AstNode) => comparison('COMPARE_NOT_DISTINCT_FROM', a, b);
export const and = (...xs: AstNode[]) => (xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_AND', xs));
export const or = (...xs: AstNode[]) => (xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_OR', xs));
export const not = (x: AstNode) => operatorNode('OPERATOR_NOT', x);
export const isNull = (x: AstNode) => operatorNode('OPERATOR_IS_NULL', x);
export const isNotNull = (x: AstNode) => operatorNode('OPERATOR_IS_NOT_NULL', x);

/** TRUE / FALSE the way DuckDB's parser writes them. */
export const bool = (b: boolean) => castNode(stringConstant(b ? 't' : 'f'), 'BOOLEAN');

/** `CAST(x AS type)` for a parameterless type (`VARCHAR`, `BIGINT`, `BLOB`, …). */
export const cast = (x: AstNode, type: string) => castNode(x, type);
export const tryCast = (x: AstNode, type: string) => castNode(x, type, true);

/** `CAST(x AS DECIMAL(width, scale))`. */
export function castDecimal(x: AstNode, width: number, scale: number): AstNode {
  return {
    ...castNode(x, 'DECIMAL'),
    cast_type: {
      id: 'DECIMAL',
      type_info: { type: 'DECIMAL_TYPE_INFO', alias: '', extension_info: null, width, scale },
    },
  };
}

/** `CAST(x AS VARCHAR[])` (or TRY_CAST). */
export function castTextList(x: AstNode, tryIt = false): AstNode {
  return {
    ...castNode(x, 'LIST', tryIt),
    cast_type: {
      id: 'LIST',
      type_info: {
        type: 'LIST_TYPE_INFO',
        alias: '',
        extension_info: null,
        child_type: { id: 'VARCHAR', type_info: null },
      },
    },
  };
}

/** An integer too large for a JSON number, written as a cast of its digits (`HUGEINT`, `BIGINT`). */
export const bigConstant = (digits: string, type = 'HUGEINT') => castNode(stringConstant(digits), type);

/** `CASE WHEN w1 THEN r1 … ELSE otherwise END` (ELSE NULL when `otherwise` is omitted). */
export function when(checks: readonly (readonly [AstNode, AstNode])[], otherwise?: AstNode): AstNode {
  return caseNode(
    checks.map(([w, r]) => ({ when: w, result: r })),
    otherwise ?? nullConstant(),
  );
}

/** A reference to a column or lambda parameter. */
export function col(name: string): AstNode {
  return {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: '',
    query_location: 2 ** 64,
    column_names: [name],
  };
}

/**
 * `params -> body`. Parameter names start with `__sluice_` so they can never capture a column of
 * the user's query that an argument copied into the body refers to.
 */
export function lambda(params: readonly string[], body: AstNode): AstNode {
  const lhs = params.length === 1 ? col(params[0]!) : { ...fn('row', ...params.map(col)), schema: 'main' };
  return { class: 'LAMBDA', type: 'LAMBDA', alias: '', query_location: 2 ** 64, lhs, expr: body };
}

/** `list[i]` (1-based). */
export function listItem(list: AstNode, i: AstNode): AstNode {
  return {
    class: 'OPERATOR',
    type: 'ARRAY_EXTRACT',
    alias: '',
    query_location: 2 ** 64,
    children: [list, i],
  };
}

/** `COALESCE(a, b, …)` (DuckDB parses COALESCE as an operator and only accepts it back in that form). */
export function coalesce(...args: AstNode[]): AstNode {
  return { class: 'OPERATOR', type: 'OPERATOR_COALESCE', alias: '', query_location: 2 ** 64, children: args };
}

/**
 * `value` evaluated once and named for `body`, which may refer to it any number of times:
 * `list_transform([value], __sluice_<name> -> body)[1]`. Keeps generated SQL linear in size
 * where a rule needs a value many times. Names must differ between nested binds.
 */
export function bind(name: string, value: AstNode, body: (ref: () => AstNode) => AstNode): AstNode {
  const param = `__sluice_${name}`;
  return listItem(
    fn(
      'list_transform',
      list(value),
      lambda(
        [param],
        body(() => col(param)),
      ),
    ),
    integerConstant(1),
  );
}

/**
 * Like {@link bind}, but a value cheap to repeat (columns, literals, casts and the type branches
 * of `asText` around them) is written out at each use instead.
 */
export function bindValue(name: string, value: AstNode, body: (ref: () => AstNode) => AstNode): AstNode {
  if (cheap(value)) return body(() => structuredClone(value));
  return bind(name, value, body);
}

const CHEAP_CLASSES = new Set(['COLUMN_REF', 'CONSTANT', 'CAST', 'CASE', 'COMPARISON', 'OPERATOR']);
const CHEAP_FUNCTIONS = new Set(['typeof', 'decode', 'encode']);

function cheap(v: Json): boolean {
  if (Array.isArray(v)) return v.every(cheap);
  if (!isNode(v)) return true;
  if (typeof v.class === 'string') {
    const fnOk =
      v.class === 'FUNCTION' && typeof v.function_name === 'string' && CHEAP_FUNCTIONS.has(v.function_name);
    if (!CHEAP_CLASSES.has(v.class) && !fnOk) return false;
  }
  return Object.values(v).every((x) => x === null || typeof x !== 'object' || cheap(x));
}

/** `[a, b, …]`. */
export const list = (...items: AstNode[]) => fn('list_value', ...items);

/**
 * `error('[CODE] message')`: fails the query at run time with `code` (DuckDB's error text is
 * read back into the code by errors/duckdb-errors.ts): INVALID_FUNCTION_INPUT for a value Spark
 * rejects too (ANSI mode), UNSUPPORTED_VALUE / UNSUPPORTED_REGEX for a value sluice cannot
 * answer for exactly.
 */
export const fail = (
  code: 'INVALID_FUNCTION_INPUT' | 'UNSUPPORTED_VALUE' | 'UNSUPPORTED_REGEX',
  message: string,
) => fn('error', stringConstant(`[${code}] ${message}`));

/** `typeof(x) = 'T'` (or IN the given DuckDB type names). */
export function typeIs(x: AstNode, ...types: string[]): AstNode {
  const t = fn('typeof', x);
  if (types.length === 1) return eq(t, stringConstant(types[0]!));
  return {
    class: 'OPERATOR',
    type: 'COMPARE_IN',
    alias: '',
    query_location: 2 ** 64,
    children: [t, ...types.map(stringConstant)],
  };
}

/** Whether a translated expression is known (syntactically) to be a DuckDB BLOB. */
export function isBinaryExpression(x: AstNode): boolean {
  if (x.class === 'CAST' && isNode(x.cast_type)) return x.cast_type.id === 'BLOB';
  if (x.class === 'CONSTANT' && isNode(x.value) && isNode(x.value.type)) return x.value.type.id === 'BLOB';
  if (x.class === 'FUNCTION' && typeof x.function_name === 'string') {
    const name = x.function_name.toLowerCase();
    const [first] = Array.isArray(x.children) ? x.children : [];
    // try(…) and coalesce-like wrappers keep their argument's type.
    if (name === 'try' && isNode(first)) return isBinaryExpression(first);
    return BINARY_FUNCTIONS.has(name);
  }
  return false;
}

/** DuckDB functions that always return a BLOB. */
const BINARY_FUNCTIONS = new Set(['encode', 'unhex', 'from_hex', 'from_base64', 'from_binary']);

/** Whether a translated expression is known to be text (a string literal or a string function). */
export function isTextExpression(x: AstNode): boolean {
  if (x.class === 'CONSTANT' && isNode(x.value) && isNode(x.value.type)) return x.value.type.id === 'VARCHAR';
  if (x.class === 'CAST' && isNode(x.cast_type)) return x.cast_type.id === 'VARCHAR';
  return false;
}

/**
 * Spark's implicit conversion of a string-or-binary argument to binary: a BLOB stays as it is, a
 * string becomes its UTF-8 bytes, anything else is first cast to a string.
 */
export function asBytes(x: AstNode): AstNode {
  if (isBinaryExpression(x)) return x;
  if (isTextExpression(x)) return fn('encode', x);
  return when([[typeIs(x, 'BLOB'), cast(x, 'BLOB')]], fn('encode', sparkText(structuredClone(x))));
}

/**
 * `x` converted to a string the way Spark's implicit cast does for string functions: a string
 * stays, a BLOB is decoded as UTF-8 (failing on invalid UTF-8, as Spark's ANSI mode does for
 * these conversions), anything else is cast.
 */
export function asText(x: AstNode): AstNode {
  if (isTextExpression(x)) return x;
  if (isBinaryExpression(x)) return fn('decode', x);
  return when([[typeIs(x, 'BLOB'), fn('decode', cast(x, 'BLOB'))]], sparkText(structuredClone(x)));
}

/**
 * `CAST(x AS VARCHAR)` where Spark casts `x` to STRING implicitly (a string function's
 * argument), marked so that ANSI mode off prints a DECIMAL as Java does (cast-ast.ts
 * `SPARK_TEXT_KEY`).
 */
export function sparkText(x: AstNode): AstNode {
  return { ...cast(x, 'VARCHAR'), [SPARK_TEXT_KEY]: true };
}

function callsVolatile(v: Json): boolean {
  if (Array.isArray(v)) return v.some(callsVolatile);
  if (!isNode(v)) return false;
  if (v.class === 'FUNCTION' && typeof v.function_name === 'string') {
    if (VOLATILE_FUNCTIONS.includes(v.function_name.toLowerCase())) return true;
  }
  return Object.values(v).some((x) => x !== null && typeof x === 'object' && callsVolatile(x));
}

/**
 * Argument `i` for a translation that evaluates it more than once (a copy each time). Refused
 * when the argument calls a volatile function: Spark evaluates it once, the copies would differ.
 */
export function reuse(c: FunctionCall, i: number): AstNode {
  const a = c.args[i]!;
  if (callsVolatile(a))
    c.unsupported(`argument ${i + 1} calls a random function and would be evaluated twice`);
  return structuredClone(a);
}

/** Whether an argument is the NULL literal. */
export function isNullLiteral(x: AstNode): boolean {
  return x.class === 'CONSTANT' && isNode(x.value) && x.value.is_null === true;
}

/**
 * Rejects a call with another code than UNSUPPORTED_SPARK_FUNCTION (e.g. UNSUPPORTED_REGEX),
 * keeping the location and parameters `c.unsupported` gives its error.
 */
export function refuse(
  c: FunctionCall,
  code: 'UNSUPPORTED_REGEX',
  message: string,
  params: Record<string, unknown>,
): never {
  try {
    c.unsupported(message);
  } catch (e) {
    if (!isSluiceError(e)) throw e;
    throw new SluiceError(code, `${c.name}(): ${message}`, {
      params: { ...e.params, ...params },
      ...(e.location ? { location: e.location } : {}),
    });
  }
}
