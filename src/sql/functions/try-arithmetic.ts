/**
 * Spark's try_ arithmetic: the operation, or NULL where Spark (ANSI) would fail — an overflow, a
 * zero divisor. See `index.ts` for how rules work.
 *
 * The operand types are checked when DuckDB binds the query (see `typeGuard` in expr.ts): numbers
 * (with Spark's result types), plus a DATE and an integer (days), a TIMESTAMP and an INTERVAL, and
 * two INTERVALs for add and subtract. A DATE and an INTERVAL, whose DuckDB sum is a TIMESTAMP
 * (Spark: a DATE), and decimal division (Spark's DECIMAL result) are refused.
 */
import { type AstNode, operatorNode } from '../ast.ts';
import { intervalKind } from './datetime-fields.ts';
import {
  aggregate,
  aggregateProbe,
  and,
  asDouble,
  cast,
  cmp,
  FRACTIONAL,
  INTEGRAL,
  literalNumber,
  NUMERIC,
  nul,
  op,
  or,
  pairGuard,
  reusable,
  staticType,
  text,
  typeGuard,
  typeIs,
  when,
} from './expr.ts';
import { dateMonths, divideMonths } from './interval-math.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

type Accepted = readonly (readonly [readonly string[], readonly string[]])[];

const TEMPORAL_SUMS: Accepted = [
  [NUMERIC, NUMERIC],
  [['DATE'], INTEGRAL],
  [['TIMESTAMP WITH TIME ZONE', 'TIMESTAMP'], ['INTERVAL']],
  [['INTERVAL'], ['INTERVAL']],
];

/** DuckDB's TRY(expr): NULL instead of an error while evaluating expr. */
const attempt = (x: AstNode): AstNode => ({ ...operatorNode('OPERATOR_NOT', x), type: 'OPERATOR_TRY' });

/**
 * An integer literal with Spark's type: INT when it fits (DuckDB types `-2147483648` a BIGINT, so
 * an INT overflow would go unnoticed), else BIGINT.
 */
function sparkIntegerLiteral(x: AstNode): AstNode {
  const v = literalNumber(x);
  const t = staticType(x);
  if (v === undefined || !Number.isInteger(v) || t?.kind !== 'integral' || x.class === 'CAST') return x;
  return cast(x, v >= -(2 ** 31) && v < 2 ** 31 ? 'INTEGER' : 'BIGINT');
}

function binary(symbol: string, accepted: Accepted): (c: FunctionCall) => AstNode {
  return (c) => {
    arity(c, 2);
    const [a, b] = c.args.map(sparkIntegerLiteral) as [AstNode, AstNode];
    return pairGuard(
      a,
      b,
      accepted,
      `${c.name}() of these argument types is not supported`,
      attempt(op(symbol, structuredClone(a), structuredClone(b))),
    );
  };
}

const BIGINT_MIN = () => cast(text('-9223372036854775808'), 'BIGINT');
const BIGINT_MAX = () => cast(text('9223372036854775807'), 'BIGINT');

/** Whether an integer sum leaves BIGINT (where Spark's long sum overflows). */
const overflows = (sum: () => AstNode) => or(cmp('<', sum(), BIGINT_MIN()), cmp('>', sum(), BIGINT_MAX()));

export const TRY_ARITHMETIC: Readonly<Record<string, FunctionRule>> = {
  try_add: (c) => dateMonths(c, '+') ?? binary('+', TEMPORAL_SUMS)(c),
  try_subtract: (c) => dateMonths(c, '-') ?? binary('-', TEMPORAL_SUMS)(c),
  try_multiply: binary('*', [
    [NUMERIC, NUMERIC],
    [['INTERVAL'], INTEGRAL],
  ]),
  try_divide: (c) => {
    arity(c, 2);
    const months = divideMonths(c);
    if (months) return months;
    const [a, b] = c.args as [AstNode, AstNode];
    const divisor = reusable(c, b);
    const body = when(
      [[cmp('=', divisor(), cast(text('0'), 'DOUBLE')), nul()]],
      op('/', asDouble(a), asDouble(divisor())),
    );
    return pairGuard(
      a,
      b,
      [
        [
          [...INTEGRAL, ...FRACTIONAL],
          [...INTEGRAL, ...FRACTIONAL],
        ],
      ],
      `${c.name}() of a DECIMAL or INTERVAL is not supported (Spark's result type differs)`,
      body,
    );
  },
  try_mod: (c) => {
    arity(c, 2);
    const [a, b] = c.args as [AstNode, AstNode];
    const divisor = reusable(c, b);
    const body = when(
      [[cmp('=', divisor(), cast(text('0'), 'DOUBLE')), nul()]],
      attempt(op('%', a, divisor())),
    );
    return pairGuard(a, b, [[NUMERIC, NUMERIC]], `${c.name}() of a value that is not a number`, body);
  },
};

export const TRY_AGGREGATES: Readonly<Record<string, FunctionRule>> = {
  /** Spark's try_sum of integers: a BIGINT, NULL when the sum leaves BIGINT. */
  try_sum: (c: FunctionCall) => {
    arity(c, 1);
    const x = reusable(c, c.args[0]!);
    const sum = () => aggregate(c, 'sum', [x()], undefined, c.node.distinct === true);
    const body = when([[overflows(sum), nul()]], cast(sum(), 'BIGINT'));
    return typeGuard(
      aggregateProbe(c.args[0]!),
      INTEGRAL,
      `${c.name}() of a value that is not an integer is not supported (Spark's result type for it differs)`,
      body,
    );
  },
  /** Spark's try_avg: the DOUBLE average, NULL when an integer sum leaves BIGINT. */
  try_avg: (c: FunctionCall) => {
    arity(c, 1);
    if ((intervalKind(c.args[0]!) ?? c.valuesIntervalKind?.(c.args[0]!)) !== undefined)
      c.unsupported(`${c.name}() of an INTERVAL is not supported (Spark's result type for it differs)`);
    const x = reusable(c, c.args[0]!);
    const distinct = c.node.distinct === true;
    const sum = () => aggregate(c, 'sum', [x()], undefined, distinct);
    const body = when(
      [[and(typeIs(aggregateProbe(x()), INTEGRAL), overflows(sum)), nul()]],
      aggregate(c, 'avg', [x()], undefined, distinct),
    );
    return typeGuard(
      aggregateProbe(c.args[0]!),
      [...INTEGRAL, ...FRACTIONAL],
      `${c.name}() of a DECIMAL or INTERVAL is not supported (Spark's result type for it differs)`,
      body,
    );
  },
};
