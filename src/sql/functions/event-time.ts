/**
 * Event-time windows: `window(ts, duration[, slide[, start]])` and `window_time(w)`.
 *
 * Spark assigns a timestamp to the windows `[s, s + duration)` whose start `s` is congruent to
 * `start` modulo `slide` and that contain it; the last of them starts at
 * `ts − ((ts − start) mod slide)` (a floor modulo, so instants before 1970 and negative starts
 * fall in the right window). A tumbling window (slide = duration) is that one window, a
 * `struct {start, end}` of timestamps; a NULL timestamp gives a NULL window. Durations are
 * interval strings of fixed length (`'10 seconds'`, `'1 day 2 hours'`): months and years are
 * refused, as Spark refuses them. Sliding windows put each row in several windows (Spark expands
 * the row), which one expression cannot: they are refused until the engine expands rows.
 */
import { SluiceError } from '../../errors/index.ts';
import { type AstNode, constantText, isNode, nodes, str } from '../ast.ts';
import { intervalStringValue } from '../spark-intervals.ts';
import { cast, fn, int, isNull, nul, op, text, when } from './builders.ts';
import { arity, type FunctionCall, type FunctionRule, TZ } from './rules.ts';

/** The name of the struct-building call every translated window is (see {@link isWindowStruct}). */
const STRUCT = 'struct_pack';

/** A duration argument in microseconds; `allowZero` for the start offset. */
function micros(c: FunctionCall, i: number, what: string, allowZero: boolean): bigint {
  const arg = c.args[i]!;
  const written = constantText(arg);
  const v = written === undefined ? undefined : intervalStringValue(written);
  if (!v) {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      `the ${what} of window() must be an interval string such as '10 minutes'${written === undefined ? '' : `, not '${written}'`}`,
      { params: { argument: what } },
    );
  }
  if (v.kind !== 'day-time') {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      `the ${what} of window() cannot be months or years (Spark: intervals of months have no fixed length)`,
      { params: { argument: what } },
    );
  }
  if (!allowZero && v.micros <= 0n) {
    throw new SluiceError('WINDOW_DURATION_INVALID', `the ${what} of window() must be greater than 0`, {
      params: { argument: what },
    });
  }
  return v.micros;
}

/** A BIGINT constant of microseconds. */
const us = (n: bigint): AstNode => cast(text(String(n)), 'BIGINT');

function windowRule(c: FunctionCall): AstNode {
  arity(c, 2, 4);
  const duration = micros(c, 1, 'window duration', false);
  const slide = c.args.length > 2 ? micros(c, 2, 'slide duration', false) : duration;
  const start = c.args.length > 3 ? micros(c, 3, 'start time', true) : 0n;
  if (slide > duration) {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      'the slide duration of window() must be less than or equal to the window duration',
      { params: { argument: 'slide duration' } },
    );
  }
  if ((start < 0n ? -start : start) >= slide) {
    throw new SluiceError(
      'WINDOW_DURATION_INVALID',
      'the absolute value of the start time of window() must be less than the slide duration',
      { params: { argument: 'start time' } },
    );
  }
  if (slide !== duration) {
    c.unsupported(
      'sliding windows (a slide shorter than the duration) are not supported yet: each row would belong to several windows',
    );
  }
  const ts = c.args[0]!;
  const u = fn('epoch_us', cast(ts, TZ));
  // last start = u − ((u − start) mod slide), with a floor modulo.
  const rem = op('%', op('+', op('%', op('-', u, us(start)), us(slide)), us(slide)), us(slide));
  const lastStart = op('-', structuredClone(u), rem);
  const startField = { ...fn('make_timestamptz', lastStart), alias: 'start' };
  const endField = {
    ...fn('make_timestamptz', op('+', structuredClone(lastStart), us(duration))),
    alias: 'end',
  };
  return when([[isNull(structuredClone(ts)), nul()]], fn(STRUCT, startField, endField));
}

/** `window_time(w)`: the last instant of a window, `w.end − 1 µs`. */
function windowTimeRule(c: FunctionCall): AstNode {
  arity(c, 1);
  const end = fn('struct_extract', c.args[0]!, text('end'));
  return fn('make_timestamptz', op('-', fn('epoch_us', end), int(1)));
}

function sessionWindowRule(c: FunctionCall): AstNode {
  return c.unsupported(
    'session windows are not supported yet (their bounds depend on the rows that arrive later); use window() or aggregate in a materialized view',
  );
}

export const EVENT_TIME_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  window: windowRule,
  window_time: windowTimeRule,
  session_window: sessionWindowRule,
};

/**
 * Whether a translated expression is an event-time window (what `window()` translates to):
 * `CASE WHEN ts IS NULL THEN NULL ELSE struct_pack(start := …, end := …) END`.
 */
export function isWindowStruct(node: AstNode): boolean {
  if (str(node, 'class') !== 'CASE') return false;
  const otherwise = node.else_expr;
  if (!isNode(otherwise) || str(otherwise, 'function_name') !== STRUCT) return false;
  const fields = nodes(otherwise, 'children').map((f) => str(f, 'alias'));
  return fields.length === 2 && fields[0] === 'start' && fields[1] === 'end';
}
