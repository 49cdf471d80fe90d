/**
 * Spark functions: maps (Spark's `map_funcs`). See `index.ts` for how rules work.
 *
 * Spark maps and DuckDB MAPs agree on what matters: entries keep their insertion order, a NULL
 * key is an error, and so is a duplicate key (Spark's default `spark.sql.mapKeyDedupPolicy =
 * EXCEPTION`; DuckDB refuses duplicate keys too). Where DuckDB is lenient — `map_concat` lets the
 * last duplicate win and reads a NULL map as empty, `map_from_entries` fails on a NULL entry —
 * the rules add Spark's checks.
 */
import type { AstNode } from '../ast.ts';
import { hasNullElement, nullIf } from './array.ts';
import {
  cast,
  cmp,
  colRef,
  dup,
  fn,
  freshName,
  int,
  isNull,
  lambda,
  letIn,
  NULL,
  op,
  raise,
  text,
  when,
  withValues,
} from './build.ts';
import { arity, constant, type FunctionCall, type FunctionRule } from './rules.ts';

function map(c: FunctionCall): AstNode {
  if (c.args.length % 2 !== 0) c.unsupported('map() takes key/value pairs (an even number of arguments)');
  const keys = c.args.filter((_, i) => i % 2 === 0);
  const values = c.args.filter((_, i) => i % 2 === 1);
  if (keys.length === 0) return fn('map');
  return fn('map', fn('list_value', ...keys), fn('list_value', ...values));
}

function mapConcat(c: FunctionCall): AstNode {
  if (c.args.length === 0) return fn('map');
  if (c.args.length === 1) return c.args[0]!;
  return withValues(c.args, (ref) => {
    const maps = c.args.map((_, i) => ref(i));
    const total = maps.map((m) => fn('cardinality', dup(m))).reduce((sum, x) => op('+', sum, x));
    const s = freshName('merged', ...maps);
    const merged = fn('map_concat', ...maps.map(dup));
    return nullIf(
      maps,
      letIn(
        s,
        merged,
        when(
          [
            [
              cmp('<', fn('cardinality', colRef(s)), total),
              raise('DUPLICATED_MAP_KEY', 'map_concat: the maps share a key'),
            ],
          ],
          colRef(s),
        ),
      ),
    );
  });
}

/** A literal `str_to_map` delimiter: Spark reads it as a Java regex, so only plain text is taken. */
function delimiter(c: FunctionCall, i: number, fallback: string): string {
  if (c.args.length <= i) return fallback;
  const d = constant(c, i, i === 1 ? 'pair delimiter' : 'key/value delimiter');
  if (d === '' || /[\\^$.|?*+()[\]{}]/.test(d))
    c.unsupported(
      `str_to_map delimiter '${d}' is a regular expression; only plain-text delimiters are supported`,
    );
  return d;
}

function strToMap(c: FunctionCall): AstNode {
  arity(c, 1, 3);
  const pairs = delimiter(c, 1, ',');
  const kv = delimiter(c, 2, ':');
  const list = freshName('pairs', c.args[0]!);
  const p = freshName('pair', c.args[0]!);
  const at = () => fn('strpos', colRef(p), text(kv));
  const key = when(
    [[cmp('>', at(), int(0)), fn('substring', colRef(p), int(1), op('-', at(), int(1)))]],
    colRef(p),
  );
  const value = when(
    [[cmp('>', at(), int(0)), fn('substring', colRef(p), op('+', at(), int(kv.length)))]],
    cast(NULL(), 'VARCHAR'),
  );
  const built = fn(
    'map',
    fn('list_transform', colRef(list), lambda([p], key)),
    fn('list_transform', colRef(list), lambda([p], value)),
  );
  // string_split keeps empty and trailing pieces, like Java's split(regex, -1).
  return letIn(
    list,
    fn('string_split', c.args[0]!, text(pairs)),
    when([[isNull(colRef(list)), NULL()]], built),
  );
}

/** The map rules, by lower-cased Spark name. */
export const MAP_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  map,
  map_from_arrays: (c) => {
    arity(c, 2);
    return withValues(c.args, (ref) => nullIf([ref(0), ref(1)], fn('map', ref(0), ref(1))));
  },
  map_from_entries: (c) => {
    arity(c, 1);
    // A NULL entry makes the map NULL (DuckDB would call it a NULL key).
    return withValues(c.args, (ref) =>
      when([[hasNullElement(ref(0)), NULL()]], fn('map_from_entries', ref(0))),
    );
  },
  map_concat: mapConcat,
  map_keys: 'map_keys',
  map_values: 'map_values',
  map_entries: 'map_entries',
  map_contains_key: 'map_contains',
  str_to_map: strToMap,
};
