/**
 * Spark's higher-order functions (Spark's `lambda_funcs`). See `index.ts` for how rules work and
 * `build.ts` for how lambda variables are bound.
 *
 * Spark lambdas arrive as DuckDB LAMBDA nodes with their bodies already translated. Where
 * DuckDB's lambda has the same variables in the same order (`transform(a, x -> …)`,
 * `aggregate`'s `(acc, x)`) the user's lambda is kept; otherwise its body is rewritten with its
 * variables bound to expressions over fresh variables: Spark's element index counts from 0
 * (DuckDB's from 1, as BIGINT), map lambdas see a key and a value (DuckDB: an entry struct).
 * exists / forall follow three-valued logic (a NULL predicate result makes them NULL unless
 * another element decides).
 */
import { type AstNode, isNode, type Json, nodes, str } from '../ast.ts';
import { nullIf } from './array.ts';
import {
  and,
  at,
  bool,
  cast,
  cmp,
  coalesce,
  colRef,
  dup,
  field,
  fn,
  freshName,
  int,
  isNull,
  lambda,
  lambdaParams,
  letIn,
  NULL,
  not,
  op,
  or,
  raise,
  structOf,
  substitute,
  text,
  when,
  withValues,
} from './build.ts';
import { structFieldName } from './collection.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** The lambda argument `i` of a call with its variables, checked against the counts Spark takes. */
function lambdaArg(
  c: FunctionCall,
  i: number,
  counts: readonly number[],
): { node: AstNode; params: string[] } {
  const node = c.args[i];
  const params = lambdaParams(node);
  if (!node || !params) c.unsupported(`argument ${i + 1} of ${c.name}() must be a lambda function (x -> …)`);
  if (!counts.includes(params.length))
    c.unsupported(`the lambda of ${c.name}() takes ${counts.join(' or ')} variable(s), got ${params.length}`);
  if (new Set(params.map((p) => p.toLowerCase())).size !== params.length)
    c.unsupported(`the lambda of ${c.name}() names a variable twice`);
  return { node: { ...node, expr: namedRows(node.expr ?? null) }, params };
}

/**
 * Spark's `(a, b)` is `struct(a, b)`, its fields named like struct()'s; DuckDB parses it as an
 * unnamed row(). Inside lambda bodies (`(x, y) -> (y, x)`) it becomes a named struct.
 */
function namedRows(v: Json): Json {
  if (Array.isArray(v)) return v.map(namedRows);
  if (!isNode(v)) return v;
  if (v.class === 'LAMBDA') return { ...v, expr: namedRows(v.expr ?? null) };
  const out: AstNode = {};
  for (const k in v) out[k] = namedRows(v[k]!);
  if (out.class === 'FUNCTION' && str(out, 'function_name') === 'row' && out.is_operator !== true) {
    const args = nodes(out, 'children');
    return {
      ...structOf(args.map((a, i) => [structFieldName(a, i), { ...a, alias: '' }] as const)),
      alias: str(out, 'alias'),
    };
  }
  return out;
}

const bodyOf = (lam: AstNode): AstNode => lam.expr as AstNode;

/** `body` with Spark lambda variables `params` bound to `values` (expressions over fresh variables). */
function bindParams(body: AstNode, params: readonly string[], values: readonly AstNode[]): AstNode {
  return substitute(body, new Map(params.map((p, i) => [p.toLowerCase(), values[i]!])));
}

/**
 * transform / filter: DuckDB's list_transform / list_filter, with Spark's 0-based INT index
 * when the lambda takes one.
 */
function elementwise(duckdbName: 'list_transform' | 'list_filter'): FunctionRule {
  return (c) => {
    arity(c, 2);
    const { node, params } = lambdaArg(c, 1, [1, 2]);
    const array = c.args[0]!;
    if (params.length === 1) return fn(duckdbName, array, node);
    const i = freshName('i', node);
    const index = cast(op('-', colRef(i), int(1)), 'INTEGER');
    const body = bindParams(bodyOf(node), [params[1]!], [index]);
    return fn(duckdbName, array, lambda([params[0]!, i], body));
  };
}

/** exists / forall: an OR / AND of the predicate over the elements, in three-valued logic. */
function quantifier(kind: 'exists' | 'forall'): FunctionRule {
  return (c) => {
    arity(c, 2);
    const { node } = lambdaArg(c, 1, [1]);
    const p = freshName('p', node);
    const q = freshName('q', node);
    const combine = kind === 'exists' ? or(colRef(p), colRef(q)) : and(colRef(p), colRef(q));
    const results = fn('list_transform', c.args[0]!, node);
    // A NULL array stays NULL; an empty one gives the identity (false for exists, true for forall).
    return fn('list_reduce', results, lambda([p, q], combine), bool(kind === 'forall'));
  };
}

/** aggregate / reduce(array, zero, merge[, finish]). */
function aggregate(c: FunctionCall): AstNode {
  arity(c, 3, 4);
  const merge = lambdaArg(c, 2, [2]);
  const reduced = fn('list_reduce', c.args[0]!, merge.node, c.args[1]!);
  if (c.args.length === 3) return reduced;
  const finish = lambdaArg(c, 3, [1]);
  return at(fn('list_transform', fn('list_value', reduced), finish.node), int(1));
}

/** zip_with(a, b, (x, y) -> f): pairs by position, the shorter array padded with NULLs. */
function zipWith(c: FunctionCall): AstNode {
  arity(c, 3);
  const { node, params } = lambdaArg(c, 2, [2]);
  return withValues(
    [c.args[0]!, c.args[1]!],
    (ref) => {
      const [a, b] = [ref(0), ref(1)];
      const pair = freshName('pair', node, a, b);
      const body = bindParams(bodyOf(node), params, [
        fn('struct_extract_at', colRef(pair), int(1)),
        fn('struct_extract_at', colRef(pair), int(2)),
      ]);
      return nullIf([a, b], fn('list_transform', fn('list_zip', dup(a), dup(b)), lambda([pair], body)));
    },
    node,
  );
}

/** A map's entries filtered or rebuilt by a `(k, v) -> …` lambda over each entry struct. */
function mapEntries(
  c: FunctionCall,
  build: (
    entry: AstNode,
    apply: (body: AstNode) => AstNode,
  ) => { list: 'list_filter' | 'list_transform'; body: AstNode },
): AstNode {
  arity(c, 2);
  const { node, params } = lambdaArg(c, 1, [2]);
  const e = freshName('e', node, c.args[0]!);
  const apply = (body: AstNode) =>
    bindParams(body, params, [field(colRef(e), 'key'), field(colRef(e), 'value')]);
  const { list, body } = build(colRef(e), apply);
  return fn('map_from_entries', fn(list, fn('map_entries', c.args[0]!), lambda([e], apply(body))));
}

/** map_zip_with(m1, m2, (k, v1, v2) -> f): over the keys of m1, then those only in m2. */
function mapZipWith(c: FunctionCall): AstNode {
  arity(c, 3);
  const { node, params } = lambdaArg(c, 2, [3]);
  const s = freshName('maps', node, c.args[0]!, c.args[1]!);
  const k = freshName('k', node, c.args[0]!, c.args[1]!);
  const m1 = () => field(colRef(s), 'm1');
  const m2 = () => field(colRef(s), 'm2');
  const onlyIn2 = fn(
    'list_filter',
    fn('map_keys', m2()),
    lambda([k], not(fn('list_contains', fn('map_keys', m1()), colRef(k)))),
  );
  const keys = fn('list_concat', fn('map_keys', m1()), onlyIn2);
  const value = bindParams(bodyOf(node), params, [
    colRef(k),
    fn('map_extract_value', m1(), colRef(k)),
    fn('map_extract_value', m2(), colRef(k)),
  ]);
  const zipped = fn('map', dup(keys), fn('list_transform', keys, lambda([k], value)));
  const both = structOf([
    ['m1', c.args[0]!],
    ['m2', c.args[1]!],
  ]);
  return letIn(s, both, when([[or(isNull(m1()), isNull(m2())), NULL()]], zipped));
}

/**
 * array_sort(a[, comparator]). Without a comparator: ascending, NULLs last. With one, Java's
 * stable sort gives the only order consistent with the comparator when the comparator orders the
 * array's elements consistently (a total preorder); sluice computes that order (each element's
 * place = the elements before it) and then checks, on every pair, that the comparator agrees with
 * it. A comparator that does not (e.g. one that calls NULL equal to everything) leaves Spark's
 * result to its sort algorithm: that is an error, never a guess.
 */
function arraySort(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  if (c.args.length === 1) return fn('list_sort', c.args[0]!, text('ASC'), text('NULLS LAST'));
  const { node, params } = lambdaArg(c, 1, [2]);
  const scope = [node, c.args[0]!];
  const names = Object.fromEntries(SORT_NAMES.map((base) => [base, freshName(base, ...scope)])) as Record<
    (typeof SORT_NAMES)[number],
    string
  >;
  const compare: Comparator = (left, right) =>
    coalesce(
      bindParams(bodyOf(node), params, [left, right]),
      raise('COMPARATOR_RETURNS_NULL', 'array_sort: the comparator returned NULL'),
    );
  const checked = letIn(
    names.blocks,
    sortedBlocks(names, compare),
    when(
      [
        [
          not(coalesce(comparatorAgrees(names, compare), bool(true))),
          raise(
            'ARRAY_SORT_INCONSISTENT_COMPARATOR',
            "array_sort: the comparator does not order the elements of this array consistently (Spark's result would depend on its sort algorithm)",
          ),
        ],
      ],
      colRef(names.sorted),
    ),
  );
  return letIn(
    names.xs,
    c.args[0]!,
    when([[isNull(colRef(names.xs)), NULL()]], letIn(names.sorted, sortedByPlace(names, compare), checked)),
  );
}

/** The lambda and binding names array_sort's SQL uses (made fresh against the user's query). */
const SORT_NAMES = ['xs', 'e', 'i', 'f', 'j', 'sorted', 'r', 'blocks', 'a', 'b', 'm', 'n'] as const;
type SortNames = Readonly<Record<(typeof SORT_NAMES)[number], string>>;
type Comparator = (left: AstNode, right: AstNode) => AstNode;

/** The elements of `xs` in comparator order: each at its place (the elements smaller than it, and the equal ones before it). */
function sortedByPlace(v: SortNames, compare: Comparator): AstNode {
  const before = fn(
    'list_filter',
    colRef(v.xs),
    lambda(
      [v.f, v.j],
      or(
        cmp('<', compare(colRef(v.f), colRef(v.e)), int(0)),
        and(cmp('=', compare(colRef(v.f), colRef(v.e)), int(0)), cmp('<', colRef(v.j), colRef(v.i))),
      ),
    ),
  );
  const ranked = fn(
    'list_transform',
    colRef(v.xs),
    lambda(
      [v.e, v.i],
      structOf([
        ['p', fn('len', before)],
        ['i', colRef(v.i)],
      ]),
    ),
  );
  // Sorting {place, index} pairs never compares the elements themselves (maps do not compare).
  return fn(
    'list_transform',
    fn('list_sort', ranked),
    lambda([v.r], at(colRef(v.xs), field(colRef(v.r), 'i'))),
  );
}

/** Block of each sorted element: how many strict steps up precede it. */
function sortedBlocks(v: SortNames, compare: Comparator): AstNode {
  const step = (k: AstNode) =>
    cmp('<', compare(at(colRef(v.sorted), op('-', k, int(1))), at(colRef(v.sorted), dup(k))), int(0));
  return fn(
    'list_transform',
    colRef(v.sorted),
    lambda(
      [v.a, v.m],
      fn(
        'len',
        fn(
          'list_filter',
          fn('range', int(2), op('+', colRef(v.m), int(1))),
          lambda([v.n], step(colRef(v.n))),
        ),
      ),
    ),
  );
}

/** Whether the comparator agrees with the sorted order on every pair: equal blocks compare 0, otherwise the sign of their order. */
function comparatorAgrees(v: SortNames, compare: Comparator): AstNode {
  const agrees = (ia: AstNode, ib: AstNode, va: AstNode, vb: AstNode) => {
    const c0 = compare(va, vb);
    const ba = at(colRef(v.blocks), ia);
    const bb = at(colRef(v.blocks), ib);
    return when(
      [
        [cmp('=', dup(ba), dup(bb)), cmp('=', dup(c0), int(0))],
        [cmp('<', dup(ba), dup(bb)), cmp('<', dup(c0), int(0))],
      ],
      cmp('>', c0, int(0)),
    );
  };
  const row = (x: string) => colRef(x);
  const pairs = fn(
    'list_bool_and',
    fn(
      'list_transform',
      row(v.sorted),
      lambda([v.b, v.n], or(cmp('=', row(v.m), row(v.n)), agrees(row(v.m), row(v.n), row(v.a), row(v.b)))),
    ),
  );
  return fn('list_bool_and', fn('list_transform', row(v.sorted), lambda([v.a, v.m], pairs)));
}

/** The higher-order function rules, by lower-cased Spark name. */
export const LAMBDA_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  transform: elementwise('list_transform'),
  filter: elementwise('list_filter'),
  exists: quantifier('exists'),
  forall: quantifier('forall'),
  aggregate,
  reduce: aggregate,
  zip_with: zipWith,
  array_sort: arraySort,
  map_filter: (c) => mapEntries(c, (_e, _apply) => ({ list: 'list_filter', body: bodyOf(c.args[1]!) })),
  transform_values: (c) =>
    mapEntries(c, (e) => ({
      list: 'list_transform',
      body: structOf([
        ['key', field(dup(e), 'key')],
        ['value', bodyOf(c.args[1]!)],
      ]),
    })),
  transform_keys: (c) =>
    mapEntries(c, (e) => ({
      list: 'list_transform',
      body: structOf([
        ['key', bodyOf(c.args[1]!)],
        ['value', field(dup(e), 'value')],
      ]),
    })),
  map_zip_with: mapZipWith,
};
