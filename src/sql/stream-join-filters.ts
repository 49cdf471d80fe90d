/**
 * The filters Spark's optimizer applies to one input of a stream–stream join below its watermark
 * (so the rows they remove neither move the watermark nor count as late nor enter state). Of an
 * outer join, the outer side is the one whose unmatched rows are kept (with NULLs for the other
 * side), the inner side the other one.
 *
 * - a conjunct of WHERE that reads one input only, pushed to it for an inner join or when it is
 *   the outer side;
 * - a conjunct of ON that reads one input only, pushed to it for an inner join or when it is the
 *   inner side;
 * - `col IS NOT NULL` for the columns a comparison in ON reads (Spark's inferred constraints), on
 *   both inputs of an inner join, on the inner side of an outer join;
 *
 * each pushed through the watermark when it is deterministic and does not read the event time.
 * sluice applies the same filters to a side's new rows before anything else, so its watermark is
 * Spark's. What would make Spark's plan another one is refused: a WHERE conjunct on the inner side
 * of an outer join other than `col IS NULL` (Spark turns the join into an inner one when the
 * conjunct rejects NULLs), and a column the analysis cannot place on a side (an unqualified name).
 * Constraints Spark infers beyond these (`a.k = b.k AND a.k > 5` ⇒ `b.k > 5`) are not derived.
 */
import { type AstNode, isNode, type Json, nodes, str } from './ast.ts';

/** A side of the join: 0 left, 1 right. */
export type Side = 0 | 1;

/** Places column references: `alias.column`, or a bare name only one side's event time has. */
export interface SideResolver {
  side(ref: AstNode): Side | undefined;
  /** Whether `ref` (of `side`) is that side's event-time column. */
  isTime(ref: AstNode, side: Side): boolean;
}

const COMPARISONS = new Set([
  'COMPARE_EQUAL',
  'COMPARE_NOTEQUAL',
  'COMPARE_LESSTHAN',
  'COMPARE_LESSTHANOREQUALTO',
  'COMPARE_GREATERTHAN',
  'COMPARE_GREATERTHANOREQUALTO',
]);

const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);

/** The column references of an expression, lambda parameters (`x -> …`) excluded. */
function columnRefs(v: Json, out: AstNode[] = [], params: ReadonlySet<string> = new Set()): AstNode[] {
  if (Array.isArray(v)) {
    for (const x of v) columnRefs(x, out, params);
  } else if (isNode(v)) {
    if (v.class === 'COLUMN_REF') {
      const names = Array.isArray(v.column_names) ? v.column_names.map(String) : [];
      if (!(names.length === 1 && params.has(names[0]!.toLowerCase()))) out.push(v);
    } else if (v.class === 'LAMBDA') {
      const own = columnRefs(v.lhs ?? null).flatMap((p) =>
        Array.isArray(p.column_names) ? p.column_names.map((n) => String(n).toLowerCase()) : [],
      );
      columnRefs(v.expr ?? null, out, new Set([...params, ...own]));
    } else
      for (const x of Object.values(v)) if (x !== null && typeof x === 'object') columnRefs(x, out, params);
  }
  return out;
}

/**
 * Columns whose NULL makes the conjunct NULL, read through comparisons, BETWEEN, arithmetic and
 * casts (Spark's null-intolerant expressions); other functions stop the walk.
 */
function nullIntolerantColumns(e: AstNode, out: AstNode[] = []): AstNode[] {
  const cls = str(e, 'class');
  if (cls === 'COLUMN_REF') out.push(e);
  else if (cls === 'COMPARISON' && COMPARISONS.has(str(e, 'type'))) {
    for (const k of ['left', 'right']) if (isNode(e[k])) nullIntolerantColumns(e[k] as AstNode, out);
  } else if (cls === 'BETWEEN' && str(e, 'type') === 'COMPARE_BETWEEN') {
    for (const k of ['input', 'lower', 'upper'])
      if (isNode(e[k])) nullIntolerantColumns(e[k] as AstNode, out);
  } else if (cls === 'CAST' && isNode(e.child)) nullIntolerantColumns(e.child, out);
  else if (cls === 'FUNCTION' && ARITHMETIC.has(str(e, 'function_name')))
    for (const c of nodes(e, 'children')) nullIntolerantColumns(c, out);
  return out;
}

/** `col IS NULL` (the anti-join filter), which keeps an outer join outer in Spark. */
const isNullCheck = (c: AstNode) =>
  str(c, 'type') === 'OPERATOR_IS_NULL' && nodes(c, 'children')[0]?.class === 'COLUMN_REF';

const isNotNull = (col: AstNode): AstNode => ({
  class: 'OPERATOR',
  type: 'OPERATOR_IS_NOT_NULL',
  alias: '',
  query_location: 2 ** 64,
  children: [structuredClone(col)],
});

/**
 * Each side's pushed filters (conjuncts as AST nodes), or why the query is refused. `outer` is
 * the outer side (undefined for an inner join); `volatile` says whether an expression may call a
 * non-deterministic function.
 */
export function pushedFilters(
  where: readonly AstNode[],
  on: readonly AstNode[],
  outer: Side | undefined,
  sides: SideResolver,
  volatile: (e: AstNode) => boolean,
): [AstNode[], AstNode[]] | string {
  const out: [AstNode[], AstNode[]] = [[], []];
  const place = (c: AstNode): Side | undefined | 'both' | string => {
    const refs = columnRefs(c);
    const found = new Set<Side>();
    for (const r of refs) {
      const s = sides.side(r);
      if (s === undefined)
        return `reads column '${(r.column_names as string[]).join('.')}' in a stream–stream join without the name of its stream: write it as alias.column so sluice can tell which stream it filters`;
      found.add(s);
    }
    if (found.size !== 1) return found.size === 0 ? undefined : 'both';
    return [...found][0]!;
  };
  for (const [clause, parts] of [
    ['where', where],
    ['on', on],
  ] as const) {
    for (const c of parts) {
      const s = place(c);
      if (typeof s === 'string' && s !== 'both') return s;
      if (s === undefined || s === 'both') continue;
      const pushes = clause === 'where' ? outer === undefined || s === outer : s !== outer;
      if (!pushes) {
        if (clause === 'where' && !isNullCheck(c))
          return `filters the inner side of an outer stream–stream join in WHERE: Spark then runs it as an inner join; write INNER JOIN, or move the condition into ON`;
        continue;
      }
      const time = columnRefs(c).some((r) => sides.isTime(r, s));
      if (!time && !volatile(c)) out[s].push(c);
    }
  }
  // Constraints Spark infers from ON for the sides whose rows are never NULL-padded.
  for (const c of on) {
    for (const col of nullIntolerantColumns(c)) {
      const s = sides.side(col);
      if (s === undefined || s === outer || sides.isTime(col, s)) continue;
      out[s].push(isNotNull(col));
    }
  }
  return out;
}
