/**
 * `sequence(start, stop[, step])` of DATEs (Spark's `TemporalSequenceImpl` for dates): element i
 * is `start + i × step` (months first, then days: 2018-01-31 by one month gives 02-28, 03-31),
 * up to and including `stop`; the step defaults to one day toward `stop`. The array rules hand
 * date sequences here; sequences of timestamps are refused.
 */
import type { AstNode } from '../ast.ts';
import { toDate } from './datetime-coerce.ts';
import { intervalKind, intervalParts } from './datetime-fields.ts';
import {
  and,
  big,
  bindAll,
  cast,
  cmp,
  fn,
  isNull,
  MICROS_PER_DAY,
  messageWith,
  not,
  nullOf,
  op,
  or,
  raise,
  staticKind,
  when,
} from './datetime-sql.ts';
import { arity, type FunctionCall } from './rules.ts';

/** A NULL list of DATEs. */
function listOfDates(nullDate: AstNode): AstNode {
  return {
    ...cast(nullDate, 'DATE'),
    child: {
      class: 'CONSTANT',
      type: 'VALUE_CONSTANT',
      alias: '',
      query_location: 2 ** 64,
      value: { type: { id: 'NULL', type_info: null }, is_null: true },
    },
    cast_type: {
      id: 'LIST',
      type_info: {
        type: 'LIST_TYPE_INFO',
        extension_info: null,
        child_type: { id: 'DATE', type_info: null },
      },
    },
  };
}

/** A one-parameter lambda (DuckDB `lambda p: body`). */
function lambda(param: string, body: (ref: AstNode) => AstNode): AstNode {
  const ref: AstNode = {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: '',
    query_location: 2 ** 64,
    column_names: [param],
  };
  return {
    class: 'LAMBDA',
    type: 'LAMBDA',
    alias: '',
    query_location: 2 ** 64,
    lhs: { ...ref },
    expr: body(ref),
  };
}

/** `sequence` of two DATEs and an optional interval step, as a DuckDB list of DATEs. */
export function dateSequence(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const [a, b, stepArg] = c.args;
  const notDate = [a!, b!].some((x) => {
    const k = staticKind(x);
    return k !== undefined && k !== 'date' && k !== 'string' && k !== 'null';
  });
  if (notDate)
    c.unsupported('sequence() of timestamps is not supported; sequences of dates and integers are');
  const kind = stepArg === undefined ? undefined : intervalKind(stepArg);
  if (stepArg !== undefined && !kind) {
    c.unsupported('the step of a date sequence must be an interval literal or make_…interval()');
  }
  const parts = stepArg === undefined ? undefined : intervalParts(stepArg);
  const values = [toDate(c, a!), toDate(c, b!), ...(parts ? [parts.months, parts.days, parts.micros] : [])];
  return bindAll(values, 'seq', ([start, stop, months, days, micros]) => {
    const span = op('-', stop!, start!);
    // A step of months and days in whole days (a day-time step is a number of microseconds).
    const stepMonths = months ?? big(0);
    const stepDays =
      kind === 'dt'
        ? op('//', op('+', op('*', days!, big(MICROS_PER_DAY)), micros!), big(MICROS_PER_DAY))
        : (days ?? when([[cmp(start!, '<=', stop!), big(1)]], big(-1)));
    const fraction =
      micros === undefined
        ? undefined
        : kind === 'dt'
          ? op('%', op('+', op('*', days!, big(MICROS_PER_DAY)), micros), big(MICROS_PER_DAY))
          : micros;
    // Spark estimates a month as 28 days to size the array and check the direction.
    const estimate = op('+', op('*', stepMonths, big(28)), stepDays);
    const legal = or(
      and(cmp(estimate, '>', big(0)), cmp(start!, '<=', stop!)),
      and(cmp(estimate, '<', big(0)), cmp(start!, '>=', stop!)),
      and(cmp(estimate, '=', big(0)), cmp(start!, '=', stop!)),
    );
    const count = when(
      [[cmp(estimate, '=', big(0)), big(1)]],
      op('+', op('//', fn('abs', span), fn('abs', estimate)), big(1)),
    );
    const element = (k: AstNode) =>
      cast(
        op(
          '+',
          op('+', start!, fn('to_months', cast(op('*', k, stepMonths), 'INTEGER'))),
          fn('to_days', op('*', k, stepDays)),
        ),
        'DATE',
      );
    const within = (e: AstNode) =>
      when([[cmp(estimate, '>=', big(0)), cmp(e, '<=', stop!)]], cmp(e, '>=', stop!));
    const list = fn(
      'list_filter',
      fn('list_transform', fn('range', count), lambda('__sluice_seq_k', element)),
      lambda('__sluice_seq_e', within),
    );
    // A list holding a failing cast: how a DATE[] value raises.
    const fail = (message: AstNode | string) => fn('list_value', raise(message, 'DATE'));
    const failures: [AstNode, AstNode][] = [
      [
        not(legal),
        fail(
          messageWith(
            '[CAST_INVALID_INPUT] sequence(): illegal boundaries from ',
            start!,
            ` for the step (in ${c.name}())`,
          ),
        ),
      ],
    ];
    if (fraction) {
      failures.unshift([
        cmp(fraction, '<>', big(0)),
        fail('[CAST_INVALID_INPUT] sequence(): the step of a date sequence must be a whole number of days'),
      ]);
    }
    const anyNull = or(
      isNull(start!),
      isNull(stop!),
      ...(months ? [isNull(months), isNull(days!), isNull(micros!)] : []),
    );
    return when([[anyNull, listOfDates(nullOf('DATE'))]], when(failures, list));
  });
}
