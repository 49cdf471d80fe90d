/**
 * Building blocks of the date and time rules: typed constants, casts, CASE, run-time errors, and
 * dispatch on an argument's DuckDB type.
 *
 * sluice translates without knowing column types, yet Spark's date functions behave by type
 * (`hour` of a TIME, of a TIMESTAMP, of a string). `byType` picks the translation for the type:
 * statically when the argument's type is visible in the tree (a literal, a cast, a rule's own
 * output), else as `CASE WHEN typeof(x) = 'T' THEN … END`, which DuckDB folds to the one branch
 * of the argument's type while planning (`typeof` depends only on the type), so the other branches
 * cost nothing and never run.
 *
 * Errors Spark raises at run time (ANSI mode) are raised by a cast of a message that no type can
 * read (`raise`): unlike DuckDB's `error()`, such a cast is not volatile, so an expression holding
 * it can still be deduplicated, grouped by, and wrapped in `try(…)` for the `try_…` functions.
 */
import {
  type AstNode,
  caseNode,
  castNode,
  comparison,
  conjunction,
  functionNode,
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

export const TSTZ = 'TIMESTAMP WITH TIME ZONE';

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

export const fn = (name: string, ...args: AstNode[]): AstNode => functionNode(name, args);
export const op = (symbol: string, ...args: AstNode[]): AstNode => operatorFunction(symbol, args);
export const str_ = stringConstant;
export const isNull = (x: AstNode) => operatorNode('OPERATOR_IS_NULL', x);
export const not = (x: AstNode) => operatorNode('OPERATOR_NOT', x);
export const and = (...xs: AstNode[]) => (xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_AND', xs));
export const or = (...xs: AstNode[]) => (xs.length === 1 ? xs[0]! : conjunction('CONJUNCTION_OR', xs));

const COMPARE = {
  '=': 'COMPARE_EQUAL',
  '<>': 'COMPARE_NOTEQUAL',
  '<': 'COMPARE_LESSTHAN',
  '<=': 'COMPARE_LESSTHANOREQUALTO',
  '>': 'COMPARE_GREATERTHAN',
  '>=': 'COMPARE_GREATERTHANOREQUALTO',
} as const;

export const cmp = (a: AstNode, rel: keyof typeof COMPARE, b: AstNode) => comparison(COMPARE[rel], a, b);

/** `lo <= x AND x <= hi`. */
export const between = (x: AstNode, lo: number, hi: number) =>
  and(cmp(x, '>=', int(lo)), cmp(x, '<=', int(hi)));

/** `CASE WHEN c1 THEN v1 … ELSE otherwise END`. */
export function when(
  checks: readonly (readonly [AstNode, AstNode])[],
  otherwise: AstNode = nullConstant(),
): AstNode {
  return caseNode(
    checks.map(([w, r]) => ({ when: w, result: r })),
    otherwise,
  );
}

function constantOf(id: string, value: number | string): AstNode {
  return {
    class: 'CONSTANT',
    type: 'VALUE_CONSTANT',
    alias: '',
    query_location: 2 ** 64,
    value: { type: { id, type_info: null }, is_null: false, value },
  };
}

/** An INTEGER constant (a BIGINT one beyond 32 bits). */
export function int(n: number): AstNode {
  return Math.abs(n) < 2 ** 31 ? constantOf('INTEGER', n) : constantOf('BIGINT', n);
}

/** A BIGINT constant, so arithmetic with it is 64-bit. */
export const big = (n: number): AstNode => constantOf('BIGINT', n);

/** A cast to a DuckDB type written as SQL (`DATE`, `DECIMAL(8,6)`, `TIMESTAMP WITH TIME ZONE`). */
export function cast(x: AstNode, type: string, tryCast = false): AstNode {
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (!dec) return castNode(x, type, tryCast);
  return {
    ...castNode(x, 'DECIMAL', tryCast),
    cast_type: {
      id: 'DECIMAL',
      type_info: {
        type: 'DECIMAL_TYPE_INFO',
        extension_info: null,
        width: Number(dec[1]),
        scale: Number(dec[2]),
      },
    },
  };
}

/** A typed NULL. */
export const nullOf = (type: string): AstNode => cast(nullConstant(), type);

/** Field `name` of a STRUCT value. */
export function field(struct: AstNode, name: string): AstNode {
  return {
    class: 'OPERATOR',
    type: 'STRUCT_EXTRACT',
    alias: '',
    query_location: 2 ** 64,
    children: [struct, stringConstant(name)],
  };
}

/** `a || b || …` over VARCHAR pieces. */
export function concat(...parts: AstNode[]): AstNode {
  return parts.reduce((acc, p) => op('||', acc, p));
}

/**
 * Whether an expression is cheap to repeat: a column, a constant, or a small expression (DuckDB
 * evaluates a repeated non-volatile subexpression of a projection once).
 */
function isSimple(x: AstNode): boolean {
  if (x.class === 'COLUMN_REF' || x.class === 'CONSTANT') return true;
  const json = JSON.stringify(x);
  // A volatile call (random(), uuid()) repeated would give each copy another value.
  return json.length <= SMALL_EXPRESSION && !VOLATILE_CALL.test(json);
}

const VOLATILE_CALL = new RegExp(`"function_name":"(${VOLATILE_FUNCTIONS.join('|')})"`, 'i');

/** The serialized size (characters) up to which an expression is repeated rather than bound. */
const SMALL_EXPRESSION = 1500;

/** Whether `x` is `typeof(…)` tested against type names (a `byType` dispatch condition). */
function isTypeTest(x: AstNode): boolean {
  const isTypeof = (n: Json | undefined) =>
    isNode(n) && n.class === 'FUNCTION' && n.function_name === 'typeof';
  if (x.class === 'FUNCTION' && x.function_name === 'starts_with') return isTypeof(nodes(x, 'children')[0]);
  if (x.class === 'OPERATOR' && x.type === 'COMPARE_IN') return isTypeof(nodes(x, 'children')[0]);
  if (x.class === 'COMPARISON') return isTypeof(x.left);
  return false;
}

/**
 * A `byType` dispatch in `x`, reached through casts and function arguments: its CASE, and how to
 * rebuild `x` around one of its branches (so a branch can be lifted to the top).
 */
function typeDispatch(x: AstNode): { node: AstNode; wrap: (branch: AstNode) => AstNode } | undefined {
  if (
    x.class === 'CASE' &&
    nodes(x, 'case_checks').every((k) => isNode(k.when_expr) && isTypeTest(k.when_expr))
  ) {
    return { node: x, wrap: (b) => b };
  }
  if (x.class === 'CAST' && isNode(x.child)) {
    const inner = typeDispatch(x.child);
    return inner && { node: inner.node, wrap: (b) => ({ ...x, child: inner.wrap(b) }) };
  }
  if (x.class === 'FUNCTION') {
    const args = nodes(x, 'children');
    for (let i = 0; i < args.length; i++) {
      const inner = typeDispatch(args[i]!);
      if (inner) {
        return {
          node: inner.node,
          wrap: (b) => ({ ...x, children: args.map((a, j) => (j === i ? inner.wrap(b) : a)) }),
        };
      }
    }
  }
  return undefined;
}

/**
 * `body(ref)` where `ref` stands for `value` evaluated once per row:
 * `list_transform([value], lambda __sluice_<name>: body)[1]`. DuckDB SQL has no `LET`, and a
 * rule that names an argument several times would otherwise copy its whole expression each
 * time. Small values (columns, constants, short expressions) are repeated instead: the lambda
 * costs a list per row. `always` binds small values too: in a branch rarely taken, a repeated
 * expression would be computed for every row (DuckDB hoists common subexpressions out of CASE).
 */
export function bind(value: AstNode, name: string, body: (ref: AstNode) => AstNode, always = false): AstNode {
  // A dispatch on the value's type keeps one branch once DuckDB binds the query: bind within each
  // branch, where the value is often just the column.
  const dispatch = typeDispatch(value);
  if (dispatch) {
    const checks = nodes(dispatch.node, 'case_checks').map(
      (k) =>
        [k.when_expr as AstNode, bind(dispatch.wrap(k.then_expr as AstNode), name, body, always)] as const,
    );
    return when(checks, bind(dispatch.wrap(dispatch.node.else_expr as AstNode), name, body, always));
  }
  if (always ? value.class === 'COLUMN_REF' || value.class === 'CONSTANT' : isSimple(value))
    return body(value);
  const param = `__sluice_${name}`;
  const ref: AstNode = {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: '',
    query_location: 2 ** 64,
    column_names: [param],
  };
  const lambda: AstNode = {
    class: 'LAMBDA',
    type: 'LAMBDA',
    alias: '',
    query_location: 2 ** 64,
    lhs: { ...ref },
    expr: body(ref),
  };
  return {
    class: 'OPERATOR',
    type: 'ARRAY_EXTRACT',
    alias: '',
    query_location: 2 ** 64,
    children: [fn('list_transform', fn('list_value', value), lambda), int(1)],
  };
}

/** `bind` over several values: `body` gets one reference per value. */
export function bindAll(
  values: readonly AstNode[],
  name: string,
  body: (refs: AstNode[]) => AstNode,
): AstNode {
  const go = (i: number, refs: AstNode[]): AstNode =>
    i === values.length ? body(refs) : bind(values[i]!, `${name}${i}`, (r) => go(i + 1, [...refs, r]));
  return go(0, []);
}

/** Types a message can never be read as, so casting the message raises a run-time error. */
const DIRECT_FAILURE = new Set([
  'DATE',
  'TIME',
  'TIMESTAMP',
  TSTZ,
  'INTERVAL',
  'INTEGER',
  'BIGINT',
  'DOUBLE',
]);

/**
 * A value of `type` that raises `message` at run time when evaluated (Spark's ANSI error). The
 * message starts with `[`, which no date, time, number or interval reads.
 */
export function raise(message: AstNode | string, type: string): AstNode {
  const text = typeof message === 'string' ? stringConstant(message) : message;
  if (DIRECT_FAILURE.has(type)) return cast(text, type);
  return cast(cast(text, 'INTEGER'), type);
}

/** A message naming a value: `prefix` + the value as text + `suffix`. */
export function messageWith(prefix: string, value: AstNode, suffix = ''): AstNode {
  const parts = [stringConstant(prefix), fn('ifnull', cast(value, 'VARCHAR'), stringConstant('NULL'))];
  if (suffix) parts.push(stringConstant(suffix));
  return concat(...parts);
}

// ---------------------------------------------------------------------------------------------
// Types

/** DuckDB type families the rules dispatch on. */
export type TypeKind =
  | 'string'
  | 'date'
  | 'timestamp_tz'
  | 'timestamp_ntz'
  | 'time'
  | 'integral'
  | 'fractional'
  | 'decimal'
  | 'interval'
  | 'boolean'
  | 'null'
  | 'other';

const KIND_OF_TYPE: Record<string, TypeKind> = {
  VARCHAR: 'string',
  JSON: 'string',
  DATE: 'date',
  [TSTZ]: 'timestamp_tz',
  TIMESTAMP: 'timestamp_ntz',
  TIMESTAMP_S: 'timestamp_ntz',
  TIMESTAMP_MS: 'timestamp_ntz',
  TIMESTAMP_NS: 'timestamp_ntz',
  TIME: 'time',
  TINYINT: 'integral',
  SMALLINT: 'integral',
  INTEGER: 'integral',
  BIGINT: 'integral',
  HUGEINT: 'integral',
  UTINYINT: 'integral',
  USMALLINT: 'integral',
  UINTEGER: 'integral',
  UBIGINT: 'integral',
  FLOAT: 'fractional',
  DOUBLE: 'fractional',
  DECIMAL: 'decimal',
  INTERVAL: 'interval',
  BOOLEAN: 'boolean',
  NULL: 'null',
};

/** How `typeof(x)` names the types of each kind (DECIMAL is matched by prefix). */
const TYPEOF_NAMES: Record<Exclude<TypeKind, 'other' | 'decimal' | 'null'>, readonly string[]> = {
  // JSON is text to Spark; DuckDB's other timestamp precisions are Spark's microseconds.
  string: ['VARCHAR', 'JSON'],
  date: ['DATE'],
  timestamp_tz: [TSTZ],
  timestamp_ntz: ['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS'],
  time: ['TIME'],
  integral: [
    'TINYINT',
    'SMALLINT',
    'INTEGER',
    'BIGINT',
    'HUGEINT',
    'UTINYINT',
    'USMALLINT',
    'UINTEGER',
    'UBIGINT',
  ],
  fractional: ['FLOAT', 'DOUBLE'],
  interval: ['INTERVAL'],
  boolean: ['BOOLEAN'],
};

/** The DuckDB type a kind's values are cast to inside its dispatch branch. */
const BRANCH_TYPE: Record<Exclude<TypeKind, 'other' | 'null'>, string> = {
  string: 'VARCHAR',
  date: 'DATE',
  timestamp_tz: TSTZ,
  timestamp_ntz: 'TIMESTAMP',
  time: 'TIME',
  integral: 'BIGINT',
  fractional: 'DOUBLE',
  // A decimal of a column whose type is not known: 12 digits of fraction (sub-microsecond),
  // 26 before the point.
  decimal: 'DECIMAL(38,12)',
  interval: 'INTERVAL',
  boolean: 'BOOLEAN',
};

/** Functions whose result type the rules rely on (DuckDB names, lower case). */
const RESULT_KIND: Record<string, TypeKind> = {
  make_date: 'date',
  make_timestamp: 'timestamp_ntz',
  make_timestamptz: 'timestamp_tz',
  make_time: 'time',
  strftime: 'string',
  get_current_timestamp: 'timestamp_tz',
  current_date: 'date',
  today: 'date',
  to_years: 'interval',
  to_months: 'interval',
  to_weeks: 'interval',
  to_days: 'interval',
  to_hours: 'interval',
  to_minutes: 'interval',
  to_seconds: 'interval',
  to_milliseconds: 'interval',
  to_microseconds: 'interval',
};

/** The kind of a node's DuckDB type when the tree shows it, else undefined. */
export function staticKind(node: AstNode): TypeKind | undefined {
  if (node.class === 'CONSTANT' && isNode(node.value)) {
    if (node.value.is_null === true) return 'null';
    const id = isNode(node.value.type) ? str(node.value.type, 'id') : '';
    return KIND_OF_TYPE[id] ?? 'other';
  }
  if (node.class === 'CAST' && isNode(node.cast_type)) {
    const id = str(node.cast_type, 'id');
    return id === 'UNBOUND' || id === 'INVALID' ? undefined : (KIND_OF_TYPE[id] ?? 'other');
  }
  if (node.class === 'FUNCTION' && node.is_operator !== true) {
    return RESULT_KIND[str(node, 'function_name').toLowerCase()];
  }
  return undefined;
}

/**
 * `x` with its DuckDB type visible in the tree (a no-op cast when needed), so that a rule taking
 * it as an argument picks its translation statically instead of dispatching at run time.
 */
export function typed(x: AstNode, type: string): AstNode {
  if (x.class === 'CAST' && isNode(x.cast_type) && str(x.cast_type, 'id') === type) return x;
  if (x.class === 'FUNCTION' && x.is_operator !== true) {
    const kind = RESULT_KIND[str(x, 'function_name').toLowerCase()];
    if (kind !== undefined && kind !== 'other' && kind !== 'null' && BRANCH_TYPE[kind] === type) return x;
  }
  return cast(x, type);
}

/**
 * A stand-in for `x` (e.g. a lambda parameter bound to it) that keeps `x`'s statically known type
 * visible; a DECIMAL keeps its own precision, so it stays dynamic.
 */
export function withKindOf(x: AstNode, ref: AstNode): AstNode {
  const kind = staticKind(x);
  if (kind === undefined || kind === 'other' || kind === 'decimal' || kind === 'null') return ref;
  return cast(ref, BRANCH_TYPE[kind]);
}

export type Branches = Partial<Record<Exclude<TypeKind, 'other'>, (x: AstNode) => AstNode>>;

/**
 * The translation of `x` for its type: `branches[kind]` applied to `x` (cast to the kind's type
 * when dispatched at run time), `otherwise` (given `x` and a description of its type) for kinds
 * without a branch. Every branch and `otherwise` must produce the same DuckDB type. A NULL literal
 * takes the `null` branch, else `otherwise`.
 */
export function byType(
  x: AstNode,
  branches: Branches,
  otherwise: (x: AstNode, kind: TypeKind | undefined) => AstNode,
): AstNode {
  const known = staticKind(x);
  if (known !== undefined) {
    const branch = known === 'other' ? undefined : branches[known];
    return branch ? branch(x) : otherwise(x, known);
  }
  const type = fn('typeof', x);
  const checks: [AstNode, AstNode][] = [];
  for (const [kind, branch] of Object.entries(branches) as [
    Exclude<TypeKind, 'other'>,
    (x: AstNode) => AstNode,
  ][]) {
    const test =
      kind === 'decimal'
        ? fn('starts_with', type, stringConstant('DECIMAL'))
        : kind === 'null'
          ? cmp(type, '=', stringConstant('"NULL"'))
          : {
              class: 'OPERATOR',
              type: 'COMPARE_IN',
              alias: '',
              query_location: 2 ** 64,
              children: [type, ...TYPEOF_NAMES[kind].map((n) => stringConstant(n))],
            };
    // A NULL typed column is NULL in any type.
    checks.push([test, branch(kind === 'null' ? x : cast(x, BRANCH_TYPE[kind]))]);
  }
  return when(checks, otherwise(x, undefined));
}

/** The kind of an argument's type for messages (`a TIME`, `an INTEGER`, `a value`). */
export function describeKind(kind: TypeKind | undefined): string {
  switch (kind) {
    case undefined:
      return 'a value of another type';
    case 'string':
      return 'a STRING';
    case 'date':
      return 'a DATE';
    case 'timestamp_tz':
      return 'a TIMESTAMP';
    case 'timestamp_ntz':
      return 'a TIMESTAMP_NTZ';
    case 'time':
      return 'a TIME';
    case 'integral':
      return 'an integer';
    case 'fractional':
      return 'a floating-point number';
    case 'decimal':
      return 'a DECIMAL';
    case 'interval':
      return 'an INTERVAL';
    case 'boolean':
      return 'a BOOLEAN';
    case 'null':
      return 'NULL';
    default:
      return 'a value of another type';
  }
}

/** An instant's UTC wall clock (TIMESTAMP) without DuckDB's per-row time-zone calendar. */
export const wallClock = (instant: AstNode) => fn('make_timestamp', fn('epoch_us', instant));

/** The instant of a UTC wall clock (TIMESTAMP → TIMESTAMP WITH TIME ZONE). */
export const instantOf = (local: AstNode) => fn('make_timestamptz', fn('epoch_us', local));

/** An empty regular-expression group as the default `missing`, else its text as an INTEGER. */
export function groupInt(group: AstNode, missing: number): AstNode {
  return when([[cmp(group, '=', stringConstant('')), int(missing)]], cast(group, 'INTEGER'));
}

/** A DuckDB list of strings. */
export function listOf(items: readonly string[]): AstNode {
  return fn('list_value', ...items.map((i) => stringConstant(i)));
}
