import {
  type AstNode,
  caseNode,
  castNode,
  comparison,
  conjunction,
  constantText,
  functionNode,
  integerConstant,
  isNode,
  nullConstant,
  operatorFunction,
  operatorNode,
  str,
  stringConstant,
} from './ast.ts';
import { javaDatePattern } from './date-patterns.ts';
import { PARSER_GENERATED, PASS_THROUGH } from './function-names.ts';

export { PARSER_GENERATED };

/**
 * THE table of Spark SQL functions sluice understands, keyed by lower-cased Spark name.
 * A rule is either the DuckDB function name to call with the same arguments (same name =
 * same semantics, a pass-through), or a rewrite producing a DuckDB expression from the call
 * (whose arguments are already translated). A function that is not here is rejected with
 * UNSUPPORTED_SPARK_FUNCTION. To support another function, add one entry.
 *
 * Timestamps: Spark `TIMESTAMP` is an instant shown in the session time zone, so it maps to
 * DuckDB `TIMESTAMP WITH TIME ZONE`; sluice runs DuckDB with `TimeZone = 'UTC'` (Spark's
 * session zone for pipelines), and formatting/parsing functions follow that zone.
 */
export interface FunctionCall {
  /** Lower-cased Spark function name. */
  readonly name: string;
  /** The FUNCTION (or WINDOW) node as parsed. */
  readonly node: AstNode;
  /** Translated arguments. */
  readonly args: readonly AstNode[];
  /** Rejects this call with UNSUPPORTED_SPARK_FUNCTION (e.g. an argument form DuckDB lacks). */
  unsupported(reason: string): never;
}

export type FunctionRule = string | ((call: FunctionCall) => AstNode);

const TZ = 'TIMESTAMP WITH TIME ZONE';

function call(name: string, ...args: AstNode[]): AstNode {
  return functionNode(name, args);
}

function renamed(c: FunctionCall, to: string, args: readonly AstNode[] = c.args): AstNode {
  return { ...c.node, function_name: to, schema: '', children: [...args] };
}

function arity(c: FunctionCall, min: number, max = min): void {
  if (c.args.length < min || c.args.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    c.unsupported(`${c.name}() takes ${want} argument(s), got ${c.args.length}`);
  }
}

function constant(c: FunctionCall, i: number, what: string): string {
  const v = constantText(c.args[i]!);
  if (v === undefined) c.unsupported(`the ${what} argument of ${c.name}() must be a literal`);
  return v;
}

/** A date-time unit written as a bare word (`MINUTE`, parsed as a column) or a string. */
function unitOf(c: FunctionCall, i: number): string {
  const a = c.args[i]!;
  const word =
    a.class === 'COLUMN_REF' && Array.isArray(a.column_names) && a.column_names.length === 1
      ? String(a.column_names[0])
      : constantText(a);
  const unit = word === undefined ? undefined : UNITS[word.toUpperCase().replace(/^SQL_TSI_/, '')];
  if (!unit) c.unsupported(`unknown date-time unit ${word === undefined ? '(expression)' : `'${word}'`}`);
  return unit;
}

const UNITS: Record<string, string> = {
  MICROSECOND: 'microsecond',
  MICROSECONDS: 'microsecond',
  MILLISECOND: 'millisecond',
  MILLISECONDS: 'millisecond',
  SECOND: 'second',
  SECONDS: 'second',
  MINUTE: 'minute',
  MINUTES: 'minute',
  HOUR: 'hour',
  HOURS: 'hour',
  DAY: 'day',
  DAYS: 'day',
  DD: 'day',
  WEEK: 'week',
  WEEKS: 'week',
  MONTH: 'month',
  MONTHS: 'month',
  MM: 'month',
  MON: 'month',
  QUARTER: 'quarter',
  QUARTERS: 'quarter',
  YEAR: 'year',
  YEARS: 'year',
  YYYY: 'year',
  YY: 'year',
};

function pattern(c: FunctionCall, i: number, mode: 'format' | 'parse'): AstNode {
  const p = constant(c, i, 'pattern');
  const converted = javaDatePattern(p, mode);
  if (converted === undefined) c.unsupported(`date pattern '${p}' has a letter sluice cannot translate`);
  return stringConstant(converted);
}

const asTimestamp = (x: AstNode) => castNode(x, TZ);
/** Spark's implicit string/timestamp → date conversion (drops any time part). */
const asDate = (x: AstNode) => castNode(castNode(x, 'TIMESTAMP', true), 'DATE');

function withFilterNotNull(node: AstNode, x: AstNode, distinct: boolean): AstNode {
  const notNull = operatorNode('OPERATOR_IS_NOT_NULL', structuredClone(x));
  const filter = isNode(node.filter) ? conjunction('CONJUNCTION_AND', [node.filter, notNull]) : notNull;
  return {
    ...node,
    function_name: 'list',
    children: [x],
    distinct: distinct || node.distinct === true,
    filter,
  };
}

function castFn(type: string): FunctionRule {
  return (c) => {
    arity(c, 1);
    return castNode(c.args[0]!, type);
  };
}

const TO_INTERVAL: Record<string, string> = {
  microsecond: 'to_microseconds',
  millisecond: 'to_milliseconds',
  second: 'to_seconds',
  minute: 'to_minutes',
  hour: 'to_hours',
  day: 'to_days',
  week: 'to_weeks',
  month: 'to_months',
  quarter: 'to_quarters',
  year: 'to_years',
};

function timestampDiff(c: FunctionCall): AstNode {
  arity(c, 3);
  // date_sub counts whole units between the instants, as Spark's timestampdiff does
  // (date_diff would count unit boundaries crossed instead).
  return call('date_sub', stringConstant(unitOf(c, 0)), asTimestamp(c.args[1]!), asTimestamp(c.args[2]!));
}

function timestampAdd(c: FunctionCall): AstNode {
  arity(c, 3);
  return operatorFunction('+', [asTimestamp(c.args[2]!), call(TO_INTERVAL[unitOf(c, 0)]!, c.args[1]!)]);
}

/** DuckDB parses COALESCE as an operator, and only accepts it back in that form. */
function coalesce(c: FunctionCall): AstNode {
  if (c.args.length === 0) c.unsupported(`${c.name}() needs arguments`);
  return {
    class: 'OPERATOR',
    type: 'OPERATOR_COALESCE',
    alias: '',
    query_location: null,
    children: [...c.args],
  };
}

/** Spark date-part functions accept strings and dates; DuckDB needs a timestamp. */
function datePart(to: string): FunctionRule {
  return (c) => {
    arity(c, 1);
    return call(to, castNode(c.args[0]!, 'TIMESTAMP'));
  };
}

function unixTimestamp(c: FunctionCall): AstNode {
  arity(c, 0, 2);
  const ts =
    c.args.length === 0
      ? call('get_current_timestamp')
      : c.args.length === 1
        ? castNode(c.args[0]!, TZ, true)
        : castNode(call('try_strptime', c.args[0]!, pattern(c, 1, 'parse')), TZ);
  return castNode(call('floor', call('epoch', ts)), 'BIGINT');
}

function dateDiff(c: FunctionCall): AstNode {
  if (c.args.length === 3) return timestampDiff(c);
  arity(c, 2);
  return call('date_diff', stringConstant('day'), asDate(c.args[1]!), asDate(c.args[0]!));
}

function dateAdd(c: FunctionCall): AstNode {
  if (c.args.length === 3) return timestampAdd(c);
  arity(c, 2);
  return castNode(operatorFunction('+', [asDate(c.args[0]!), castNode(c.args[1]!, 'INTEGER')]), 'DATE');
}

/** Spark's `name(a, b[, c])` where DuckDB needs all three: the third defaults to the string `fill`. */
function optionalThird(name: string, fill: string): FunctionRule {
  return (c) => {
    arity(c, 2, 3);
    return renamed(c, name, c.args.length === 2 ? [...c.args, stringConstant(fill)] : c.args);
  };
}

export const SPARK_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  ...Object.fromEntries(PASS_THROUGH.map((n) => [n, n])),
  // --- null handling
  current_timestamp: 'get_current_timestamp',
  nvl: (c) => coalesce(c),
  ifnull: (c) => coalesce(c),
  nvl2: (c) => {
    arity(c, 3);
    return caseNode(
      [{ when: operatorNode('OPERATOR_IS_NOT_NULL', c.args[0]!), result: c.args[1]! }],
      c.args[2]!,
    );
  },
  iff: (c) => {
    arity(c, 3);
    return caseNode([{ when: c.args[0]!, result: c.args[1]! }], c.args[2]!);
  },
  isnull: (c) => {
    arity(c, 1);
    return operatorNode('OPERATOR_IS_NULL', c.args[0]!);
  },
  isnotnull: (c) => {
    arity(c, 1);
    return operatorNode('OPERATOR_IS_NOT_NULL', c.args[0]!);
  },
  '<=>': (c) => comparison('COMPARE_NOT_DISTINCT_FROM', c.args[0]!, c.args[1]!),
  // --- math
  signum: 'sign',
  mean: 'avg',
  std: 'stddev',
  every: 'bool_and',
  some: 'bool_or',
  bround: 'round_even',
  random: (c) => (c.args.length > 0 ? c.unsupported('a seed is not supported') : renamed(c, 'random')),
  rand: (c) => (c.args.length > 0 ? c.unsupported('a seed is not supported') : renamed(c, 'random')),
  mod: (c) => {
    arity(c, 2);
    return operatorFunction('%', [...c.args]);
  },
  pmod: (c) => {
    arity(c, 2);
    const [a, n] = c.args as [AstNode, AstNode];
    return operatorFunction('%', [
      operatorFunction('+', [operatorFunction('%', [a, n]), structuredClone(n)]),
      structuredClone(n),
    ]);
  },
  e: (c) => {
    arity(c, 0);
    return call('exp', integerConstant(1));
  },
  trunc: (c) => {
    // One argument: DuckDB's numeric trunc (generated by INTERVAL syntax). Two: Spark's trunc(date, unit).
    if (c.args.length === 1) return c.node;
    arity(c, 2);
    return castNode(call('date_trunc', stringConstant(unitOf(c, 1)), asTimestamp(c.args[0]!)), 'DATE');
  },
  // --- strings
  concat: (c) => {
    // Spark's concat is NULL when any argument is NULL; DuckDB's skips NULLs.
    if (c.args.length === 0) return stringConstant('');
    const anyNull = c.args.map((a) => operatorNode('OPERATOR_IS_NULL', structuredClone(a)));
    const when = anyNull.length === 1 ? anyNull[0]! : conjunction('CONJUNCTION_OR', anyNull);
    return caseNode([{ when, result: nullConstant() }], renamed(c, 'concat'));
  },
  lcase: 'lower',
  ucase: 'upper',
  len: 'length',
  char_length: 'length',
  character_length: 'length',
  char: 'chr',
  btrim: 'trim',
  substr: 'substring',
  startswith: 'starts_with',
  endswith: 'suffix',
  format_string: 'printf',
  lpad: optionalThird('lpad', ' '),
  rpad: optionalThird('rpad', ' '),
  replace: optionalThird('replace', ''),
  locate: (c) => {
    arity(c, 2);
    return call('instr', c.args[1]!, c.args[0]!);
  },
  split: (c) => {
    arity(c, 2, 3);
    if (c.args.length === 3 && Number(constantText(c.args[2]!)) > 0)
      c.unsupported('a positive split limit is not supported');
    return call('regexp_split_to_array', c.args[0]!, c.args[1]!);
  },
  rlike: 'regexp_matches',
  regexp: 'regexp_matches',
  regexp_like: 'regexp_matches',
  // `x RLIKE p` is rewritten to `x SIMILAR TO p` before parsing; Spark's RLIKE is a partial match.
  regexp_full_match: 'regexp_matches',
  regexp_extract: (c) => {
    arity(c, 2, 3);
    return call('regexp_extract', c.args[0]!, c.args[1]!, c.args[2] ?? integerConstant(1));
  },
  regexp_replace: (c) => {
    arity(c, 3);
    const rep = constantText(c.args[2]!);
    // Java's `$1` group references are `\1` in RE2.
    const replacement =
      rep === undefined
        ? c.args[2]!
        : stringConstant(rep.replace(/\\\$|\$(\d)/g, (_m, d) => (d ? `\\${d}` : '$')));
    return call('regexp_replace', c.args[0]!, c.args[1]!, replacement, stringConstant('g'));
  },
  base64: 'to_base64',
  unbase64: 'from_base64',
  sha2: (c) => {
    arity(c, 2);
    const bits = constant(c, 1, 'bit length');
    if (bits !== '256' && bits !== '0') c.unsupported(`sha2 with ${bits} bits is not supported (only 256)`);
    return call('sha256', c.args[0]!);
  },
  uuid: (c) => {
    arity(c, 0);
    return castNode(renamed(c, 'uuid'), 'VARCHAR');
  },
  get_json_object: 'json_extract_string',
  // --- conversions
  string: castFn('VARCHAR'),
  int: castFn('INTEGER'),
  bigint: castFn('BIGINT'),
  smallint: castFn('SMALLINT'),
  tinyint: castFn('TINYINT'),
  double: castFn('DOUBLE'),
  float: castFn('FLOAT'),
  boolean: castFn('BOOLEAN'),
  date: castFn('DATE'),
  timestamp: castFn(TZ),
  // --- dates and times
  year: datePart('year'),
  month: datePart('month'),
  day: datePart('day'),
  dayofmonth: datePart('day'),
  hour: datePart('hour'),
  minute: datePart('minute'),
  second: datePart('second'),
  quarter: datePart('quarter'),
  weekofyear: datePart('weekofyear'),
  dayofyear: datePart('dayofyear'),
  last_day: datePart('last_day'),
  current_timezone: (c) => {
    arity(c, 0);
    return call('current_setting', stringConstant('TimeZone'));
  },
  date_trunc: (c) => {
    arity(c, 2);
    // Truncate the UTC wall-clock value (sessions run in UTC) and rebuild the instant from
    // microseconds: same result as date_trunc on TIMESTAMPTZ, without ICU's per-row calendar
    // work (~10× faster on millions of rows).
    const utc = call('make_timestamp', call('epoch_us', asTimestamp(c.args[1]!)));
    return call('make_timestamptz', call('epoch_us', call('date_trunc', stringConstant(unitOf(c, 0)), utc)));
  },
  date_format: (c) => {
    arity(c, 2);
    return call('strftime', asTimestamp(c.args[0]!), pattern(c, 1, 'format'));
  },
  to_date: (c) => {
    arity(c, 1, 2);
    if (c.args.length === 1) return asDate(c.args[0]!);
    return castNode(call('try_strptime', c.args[0]!, pattern(c, 1, 'parse')), 'DATE');
  },
  to_timestamp: (c) => {
    arity(c, 1, 2);
    if (c.args.length === 1) return castNode(c.args[0]!, TZ, true);
    return castNode(call('try_strptime', c.args[0]!, pattern(c, 1, 'parse')), TZ);
  },
  from_unixtime: (c) => {
    arity(c, 1, 2);
    const fmt = c.args.length === 2 ? pattern(c, 1, 'format') : stringConstant('%Y-%m-%d %H:%M:%S');
    return call('strftime', call('to_timestamp', castNode(c.args[0]!, 'DOUBLE')), fmt);
  },
  unix_timestamp: (c) => unixTimestamp(c),
  to_unix_timestamp: (c) => unixTimestamp(c),
  unix_seconds: (c) => {
    arity(c, 1);
    return castNode(call('floor', call('epoch', asTimestamp(c.args[0]!))), 'BIGINT');
  },
  unix_millis: (c) => {
    arity(c, 1);
    return call('epoch_ms', asTimestamp(c.args[0]!));
  },
  timestamp_seconds: (c) => {
    arity(c, 1);
    return call('to_timestamp', castNode(c.args[0]!, 'DOUBLE'));
  },
  timestamp_millis: (c) => {
    arity(c, 1);
    return castNode(call('epoch_ms', castNode(c.args[0]!, 'BIGINT')), TZ);
  },
  make_timestamp: (c) => {
    arity(c, 6);
    return castNode(renamed(c, 'make_timestamp'), TZ);
  },
  dayofweek: (c) => {
    arity(c, 1);
    return operatorFunction('+', [call('dayofweek', castNode(c.args[0]!, 'TIMESTAMP')), integerConstant(1)]);
  },
  weekday: (c) => {
    arity(c, 1);
    return operatorFunction('-', [call('isodow', castNode(c.args[0]!, 'TIMESTAMP')), integerConstant(1)]);
  },
  datediff: (c) => dateDiff(c),
  date_diff: (c) => dateDiff(c),
  timestampdiff: timestampDiff,
  timestampadd: timestampAdd,
  date_add: (c) => dateAdd(c),
  dateadd: (c) => dateAdd(c),
  date_sub: (c) => {
    arity(c, 2);
    return castNode(operatorFunction('-', [asDate(c.args[0]!), castNode(c.args[1]!, 'INTEGER')]), 'DATE');
  },
  add_months: (c) => {
    arity(c, 2);
    return castNode(
      operatorFunction('+', [asDate(c.args[0]!), call('to_months', castNode(c.args[1]!, 'INTEGER'))]),
      'DATE',
    );
  },
  // --- aggregates
  collect_list: (c) => {
    arity(c, 1);
    return withFilterNotNull(c.node, c.args[0]!, false);
  },
  array_agg: (c) => {
    arity(c, 1);
    return withFilterNotNull(c.node, c.args[0]!, false);
  },
  collect_set: (c) => {
    arity(c, 1);
    return withFilterNotNull(c.node, c.args[0]!, true);
  },
  percentile_approx: (c) => {
    arity(c, 2, 3);
    return renamed(c, 'approx_quantile', c.args.slice(0, 2));
  },
  approx_percentile: (c) => {
    arity(c, 2, 3);
    return renamed(c, 'approx_quantile', c.args.slice(0, 2));
  },
  percentile: (c) => {
    arity(c, 2);
    return renamed(c, 'quantile_cont');
  },
  listagg: 'string_agg',
  // --- arrays and structs
  filter: 'list_filter',
  transform: 'list_transform',
  array: 'list_value',
  size: 'len',
  array_size: 'len',
  cardinality: 'len',
  array_contains: 'list_contains',
  array_distinct: 'list_distinct',
  array_join: (c) => {
    arity(c, 2);
    return renamed(c, 'array_to_string');
  },
  explode: (c) => {
    arity(c, 1);
    return renamed(c, 'unnest');
  },
  sort_array: (c) => {
    arity(c, 1, 2);
    const asc = c.args.length === 1 || constantText(c.args[1]!) !== 'false';
    return call('list_sort', c.args[0]!, stringConstant(asc ? 'ASC' : 'DESC'));
  },
  named_struct: (c) => {
    if (c.args.length % 2 !== 0) c.unsupported('named_struct takes name/value pairs');
    const fields: AstNode[] = [];
    for (let i = 0; i < c.args.length; i += 2)
      fields.push({ ...c.args[i + 1]!, alias: constant(c, i, 'field name') });
    return call('struct_pack', ...fields);
  },
};

/** The rule for a Spark function name (case-insensitive), or undefined when unsupported. */
export function sparkFunctionRule(name: string): FunctionRule | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(SPARK_FUNCTIONS, key) ? SPARK_FUNCTIONS[key] : undefined;
}

/** Applies `rule` to a call; string rules rename the function and keep its arguments. */
export function applyRule(rule: FunctionRule, c: FunctionCall): AstNode {
  if (typeof rule === 'string') {
    return str(c.node, 'function_name') === rule && c.node.children === c.args ? c.node : renamed(c, rule);
  }
  return rule(c);
}
