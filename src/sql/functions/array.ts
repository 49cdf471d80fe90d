/**
 * Spark functions: arrays (Spark's `array_funcs`). See `index.ts` for how rules work and
 * `build.ts` for the builders.
 *
 * Spark's array functions differ from DuckDB's list functions mostly in NULL handling: a NULL
 * array argument gives NULL (DuckDB often reads it as an empty list), NULL elements are kept and
 * compared as equal to each other by the set functions (`array_distinct`, `array_union`, …) and
 * make `array_contains` / `arrays_overlap` NULL instead of false, and results keep the order of
 * first occurrence. Indexes are 1-based except `get` (0-based); errors Spark raises under ANSI
 * mode (index 0, negative length) are raised at run time.
 */
import { type AstNode, isNode, str } from '../ast.ts';
import {
  and,
  at,
  cast,
  cmp,
  coalesce,
  colRef,
  dup,
  fn,
  freshName,
  int,
  isNotNull,
  isNull,
  lambda,
  NULL,
  not,
  op,
  or,
  raise,
  structOf,
  text,
  when,
  withValues,
} from './build.ts';
import { dateSequence } from './date-sequence.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** `CASE WHEN x1 IS NULL OR … THEN NULL ELSE body END`: Spark's null-intolerant functions. */
export function nullIf(args: readonly AstNode[], body: AstNode): AstNode {
  return when([[or(...args.map((a) => isNull(dup(a)))), NULL()]], body);
}

/** Whether list `a` has a NULL element (`list_count` counts the others). */
export const hasNullElement = (a: AstNode): AstNode => cmp('<', fn('list_count', dup(a)), fn('len', dup(a)));

/** Spark's array_distinct of `a` (a reference): first occurrences in order, one NULL kept. */
export function distinct(a: AstNode, ...scopes: AstNode[]): AstNode {
  const e = freshName('e', a, ...scopes);
  const i = freshName('i', a, ...scopes);
  // list_position matches NULL with NULL, so each value (NULL too) is kept where it first occurs.
  return fn(
    'list_filter',
    dup(a),
    lambda([e, i], cmp('=', fn('list_position', dup(a), colRef(e)), colRef(i))),
  );
}

/** Whether `value` occurs in list `list`, NULL matching NULL. */
const occursIn = (list: AstNode, value: AstNode): AstNode => isNotNull(fn('list_position', dup(list), value));

function setOperation(kind: 'union' | 'intersect' | 'except'): FunctionRule {
  return (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => {
      const [a, b] = [ref(0), ref(1)];
      const e = freshName('e', a, b);
      let result: AstNode;
      if (kind === 'union') result = distinct(fn('list_concat', dup(a), dup(b)), a, b);
      else {
        const keep = occursIn(b, colRef(e));
        result = fn('list_filter', distinct(a, b), lambda([e], kind === 'intersect' ? keep : not(keep)));
      }
      return nullIf([a, b], result);
    });
  };
}

/** Spark's `slice(x, start, length)`: 1-based start (negative from the end), empty when outside. */
function slice(c: FunctionCall): AstNode {
  arity(c, 3);
  return withValues(c.args, (ref) => {
    const [x, start, length] = [ref(0), ref(1), ref(2)];
    // 0-based start index as Spark computes it.
    const begin = when(
      [[cmp('<', dup(start), int(0)), op('+', dup(start), fn('len', dup(x)))]],
      op('-', dup(start), int(1)),
    );
    return nullIf(
      [x, start, length],
      when(
        [
          [
            cmp('=', dup(start), int(0)),
            raise('INVALID_PARAMETER_VALUE.START', 'slice: the start index must not be 0'),
          ],
          [
            cmp('<', dup(length), int(0)),
            raise(
              'INVALID_PARAMETER_VALUE.LENGTH',
              'slice: the length must not be negative, got ',
              dup(length),
            ),
          ],
          [
            or(cmp('<', dup(begin), int(0)), cmp('>=', dup(begin), fn('len', dup(x)))),
            fn('list_slice', dup(x), int(1), int(0)),
          ],
        ],
        fn('list_slice', dup(x), op('+', dup(begin), int(1)), op('+', dup(begin), dup(length))),
      ),
    );
  });
}

/** Spark's array_insert (non-legacy negative indexes: -1 inserts after the last element). */
function arrayInsert(c: FunctionCall): AstNode {
  arity(c, 3);
  return withValues(c.args, (ref) => {
    const [a, pos, item] = [ref(0), ref(1), ref(2)];
    const n = () => fn('len', dup(a));
    // The 1-based position the item takes when it falls inside (or just after) the array.
    const p = () => when([[cmp('>', dup(pos), int(0)), dup(pos)]], op('+', op('+', dup(pos), n()), int(2)));
    const splice = fn(
      'list_concat',
      fn('list_concat', fn('list_slice', dup(a), int(1), op('-', p(), int(1))), fn('list_value', dup(item))),
      fn('list_slice', dup(a), p(), n()),
    );
    return nullIf(
      [a, pos],
      when(
        [
          [
            cmp('=', dup(pos), int(0)),
            raise(
              'INVALID_INDEX_OF_ZERO',
              'array_insert: the index 0 is invalid; an index shall be either < 0 or > 0 (the first element has index 1)',
            ),
          ],
          // After the end: NULLs fill the gap.
          [
            cmp('>', dup(pos), op('+', n(), int(1))),
            fn('list_append', fn('list_resize', dup(a), op('-', dup(pos), int(1))), dup(item)),
          ],
          // Before the start: the item, NULLs, then the array.
          [
            cmp('>', op('-', int(0), dup(pos)), n()),
            fn(
              'list_concat',
              fn('list_resize', fn('list_value', dup(item)), op('-', op('-', int(0), dup(pos)), n())),
              dup(a),
            ),
          ],
        ],
        splice,
      ),
    );
  });
}

/** `array_append` / `array_prepend`: NULL for a NULL array, a NULL element is added. */
function pend(where: 'append' | 'prepend'): FunctionRule {
  return (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => {
      const [a, v] = [ref(0), ref(1)];
      const one = fn('list_value', dup(v));
      return nullIf([a], fn('list_concat', ...(where === 'append' ? [dup(a), one] : [one, dup(a)])));
    });
  };
}

/** A name Spark gives an `arrays_zip` field: the column or field name, else the position. */
function zipFieldName(arg: AstNode, i: number): string {
  if (str(arg, 'alias')) return str(arg, 'alias');
  if (arg.class === 'COLUMN_REF' && Array.isArray(arg.column_names)) return String(arg.column_names.at(-1));
  if (arg.type === 'STRUCT_EXTRACT') {
    const key = arg.children && Array.isArray(arg.children) ? arg.children[1] : undefined;
    const v = isNode(key) && isNode(key.value) ? key.value.value : undefined;
    if (typeof v === 'string') return v;
  }
  return String(i);
}

function arraysZip(c: FunctionCall): AstNode {
  if (c.args.length === 0) c.unsupported('arrays_zip() needs at least one array');
  const names = c.args.map((a, i) => zipFieldName(a, i));
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length)
    c.unsupported('arrays_zip of arrays with the same name (DuckDB structs need distinct field names)');
  const args = c.args.map((a) => ({ ...a, alias: '' }));
  return withValues(args, (ref) => {
    const refs = args.map((_, i) => ref(i));
    const k = freshName('k', ...refs);
    const longest =
      refs.length === 1 ? fn('len', dup(refs[0]!)) : fn('greatest', ...refs.map((r) => fn('len', dup(r))));
    const entry = structOf(refs.map((r, i) => [names[i]!, at(dup(r), op('+', colRef(k), int(1)))] as const));
    return nullIf(refs, fn('list_transform', fn('range', longest), lambda([k], entry)));
  });
}

/** Integral `sequence(start, stop[, step])`; date and timestamp sequences are refused. */
function sequence(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  // Dates (and refused timestamps) are the date-time module's.
  if (c.args.some(looksTemporal)) return dateSequence(c);
  return withValues(c.args, (ref) => {
    const [start, stop] = [ref(0), ref(1)];
    const step = c.args.length === 3 ? ref(2) : when([[cmp('<=', dup(start), dup(stop)), int(1)]], int(-1));
    const k = freshName('k', start, stop, step);
    const legal = or(
      and(cmp('>', dup(step), int(0)), cmp('<=', dup(start), dup(stop))),
      and(cmp('<', dup(step), int(0)), cmp('>=', dup(start), dup(stop))),
      and(cmp('=', dup(step), int(0)), cmp('=', dup(start), dup(stop))),
    );
    const count = when(
      [[cmp('=', dup(step), int(0)), int(1)]],
      op('+', op('//', op('-', dup(stop), dup(start)), dup(step)), int(1)),
    );
    // start + k * step with k an INTEGER keeps Spark's element type (the type of start and stop).
    const element = op('+', dup(start), op('*', cast(colRef(k), 'INTEGER'), dup(step)));
    return nullIf(
      c.args.length === 3 ? [start, stop, step] : [start, stop],
      when(
        [
          [
            not(legal),
            raise(
              'INVALID_SEQUENCE_BOUNDARIES',
              'sequence: illegal boundaries start=',
              dup(start),
              ', stop=',
              dup(stop),
              ', step=',
              dup(step),
            ),
          ],
        ],
        fn('list_transform', fn('range', count), lambda([k], element)),
      ),
    );
  });
}

const TEMPORAL_FUNCTIONS = new Set([
  'to_years',
  'to_months',
  'to_days',
  'to_hours',
  'to_minutes',
  'to_seconds',
  'to_milliseconds',
  'to_microseconds',
  'to_weeks',
  'to_quarters',
  'current_date',
  'now',
  'get_current_timestamp',
  'make_date',
  'make_timestamp',
  'strptime',
  'try_strptime',
  'date_trunc',
  'to_timestamp',
]);

/** Whether a translated argument is visibly a date, timestamp or interval. */
function looksTemporal(node: AstNode): boolean {
  if (node.class === 'CAST' && isNode(node.cast_type)) {
    const id = str(node.cast_type, 'id');
    if (/DATE|TIME|INTERVAL/.test(id)) return true;
  }
  if (node.class === 'CONSTANT' && isNode(node.value) && isNode(node.value.type)) {
    if (/DATE|TIME|INTERVAL/.test(str(node.value.type, 'id'))) return true;
  }
  if (node.class === 'FUNCTION' && TEMPORAL_FUNCTIONS.has(str(node, 'function_name').toLowerCase()))
    return true;
  for (const k of ['child', 'children', 'left', 'right']) {
    const v = node[k];
    const list = Array.isArray(v) ? v : v ? [v] : [];
    if (list.some((x) => isNode(x) && looksTemporal(x))) return true;
  }
  return false;
}

/** The array rules, by lower-cased Spark name. */
export const ARRAY_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  array: (c) => fn('list_value', ...c.args),
  array_contains: (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => {
      const [a, v] = [ref(0), ref(1)];
      // Not found in an array holding a NULL is NULL (the NULL might have been the value).
      return or(
        fn('list_contains', dup(a), dup(v)),
        when([[hasNullElement(a), NULL()]], cast(text('f'), 'BOOLEAN')),
      );
    });
  },
  array_distinct: (c) => {
    arity(c, 1);
    return withValues(c.args, (ref) => distinct(ref(0)));
  },
  array_union: setOperation('union'),
  array_intersect: setOperation('intersect'),
  array_except: setOperation('except'),
  arrays_overlap: (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => {
      const [a, b] = [ref(0), ref(1)];
      const empty = or(cmp('=', fn('len', dup(a)), int(0)), cmp('=', fn('len', dup(b)), int(0)));
      return nullIf(
        [a, b],
        when(
          [
            [empty, cast(text('f'), 'BOOLEAN')],
            // list_has_any ignores NULL elements.
            [fn('list_has_any', dup(a), dup(b)), cast(text('t'), 'BOOLEAN')],
            [or(hasNullElement(a), hasNullElement(b)), NULL()],
          ],
          cast(text('f'), 'BOOLEAN'),
        ),
      );
    });
  },
  array_position: (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => {
      const [a, v] = [ref(0), ref(1)];
      return nullIf([a, v], cast(coalesce(fn('list_position', dup(a), dup(v)), int(0)), 'BIGINT'));
    });
  },
  array_remove: (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => {
      const [a, v] = [ref(0), ref(1)];
      const e = freshName('e', a, v);
      const keep = or(isNull(colRef(e)), cmp('<>', colRef(e), dup(v)));
      return nullIf([a, v], fn('list_filter', dup(a), lambda([e], keep)));
    });
  },
  array_repeat: (c) => {
    arity(c, 2);
    // DuckDB's repeat of a list: NULL count → NULL, a negative count → empty.
    return fn('repeat', fn('list_value', c.args[0]!), c.args[1]!);
  },
  array_compact: (c) => {
    arity(c, 1);
    const e = freshName('e', c.args[0]!);
    return fn('list_filter', c.args[0]!, lambda([e], isNotNull(colRef(e))));
  },
  array_join: (c) => {
    arity(c, 2, 3);
    return withValues(c.args, (ref) => {
      const [a, d] = [ref(0), ref(1)];
      if (c.args.length === 2) return nullIf([a, d], fn('array_to_string', dup(a), dup(d)));
      const r = ref(2);
      const e = freshName('e', a, d, r);
      const replaced = fn('list_transform', dup(a), lambda([e], coalesce(colRef(e), dup(r))));
      return nullIf([a, d, r], fn('array_to_string', replaced, dup(d)));
    });
  },
  array_max: (c) => {
    arity(c, 1);
    return fn('list_max', c.args[0]!);
  },
  array_min: (c) => {
    arity(c, 1);
    return fn('list_min', c.args[0]!);
  },
  flatten: (c) => {
    arity(c, 1);
    // Spark's flatten is NULL when an inner array is NULL.
    return withValues(c.args, (ref) => when([[hasNullElement(ref(0)), NULL()]], fn('flatten', ref(0))));
  },
  sort_array: (c) => {
    arity(c, 1, 2);
    const asc = c.args.length === 1 ? 'true' : constantBoolean(c.args[1]!);
    if (asc === undefined)
      c.unsupported('the ascending argument of sort_array() must be a literal true or false');
    // Spark: NULLs first ascending, last descending (NULL is the smallest value).
    return fn(
      'list_sort',
      c.args[0]!,
      text(asc === 'true' ? 'ASC' : 'DESC'),
      text(asc === 'true' ? 'NULLS FIRST' : 'NULLS LAST'),
    );
  },
  slice,
  get: (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => {
      const [a, i] = [ref(0), ref(1)];
      return when([[cmp('<', dup(i), int(0)), NULL()]], fn('list_extract', dup(a), op('+', dup(i), int(1))));
    });
  },
  array_insert: arrayInsert,
  array_append: pend('append'),
  array_prepend: pend('prepend'),
  arrays_zip: arraysZip,
  sequence,
};

/** `true` / `false` for a boolean literal argument, else undefined. */
function constantBoolean(node: AstNode): 'true' | 'false' | undefined {
  if (
    node.class === 'CAST' &&
    isNode(node.child) &&
    isNode(node.cast_type) &&
    node.cast_type.id === 'BOOLEAN'
  ) {
    const v = isNode(node.child.value) ? node.child.value.value : undefined;
    if (v === 't' || v === 'true') return 'true';
    if (v === 'f' || v === 'false') return 'false';
  }
  if (
    node.class === 'CONSTANT' &&
    isNode(node.value) &&
    isNode(node.value.type) &&
    node.value.type.id === 'BOOLEAN'
  )
    return node.value.value === true ? 'true' : node.value.value === false ? 'false' : undefined;
  return undefined;
}
