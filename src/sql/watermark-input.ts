import type { EventTimeWatermark } from '../model/index.ts';
import { type AstNode, castNode, contains, functionNode, isNode, nodes, str } from './ast.ts';
import { slidingExpansion } from './functions/event-time.ts';
import { VOLATILE_FUNCTIONS } from './volatility.ts';

/** The conjuncts of an AND tree. */
export function conjuncts(e: AstNode): AstNode[] {
  return e.class === 'CONJUNCTION' && e.type === 'CONJUNCTION_AND'
    ? nodes(e, 'children').flatMap(conjuncts)
    : [e];
}

/**
 * `SELECT epoch_us(max(ts)) AS __sluice_max FROM <the stream> WHERE <pushed conjuncts>`: the
 * rows Spark's watermark sees. Its optimizer pushes a filter below the watermark when it is
 * deterministic and does not read the event-time column (a subquery is never pushed), so only
 * rows passing those conjuncts move the watermark; the others (reading the event time) filter
 * above it, as the partial aggregation does. A sliding window's expansion is not read.
 */
export function watermarkQuery(root: AstNode, watermark: EventTimeWatermark): AstNode {
  const written = isNode(root.from_table) ? root.from_table : undefined;
  const from = written ? (slidingExpansion(written) ?? written) : undefined;
  const time = watermark.column.toLowerCase();
  const volatile = new Set(VOLATILE_FUNCTIONS);
  const blocks = (n: AstNode) =>
    n.class === 'SUBQUERY' ||
    (n.class === 'FUNCTION' && volatile.has(str(n, 'function_name').toLowerCase())) ||
    (n.class === 'COLUMN_REF' &&
      Array.isArray(n.column_names) &&
      n.column_names.some((c) => String(c).toLowerCase() === time));
  const pushed = isNode(root.where_clause)
    ? conjuncts(root.where_clause).filter((c) => !contains(c, blocks))
    : [];
  return {
    ...structuredClone(root),
    modifiers: [],
    select_list: [latestEventTime(watermark)],
    from_table: structuredClone(from ?? null),
    where_clause:
      pushed.length === 0
        ? null
        : pushed.length === 1
          ? structuredClone(pushed[0]!)
          : {
              class: 'CONJUNCTION',
              type: 'CONJUNCTION_AND',
              alias: '',
              query_location: 2 ** 64,
              children: pushed.map((c) => structuredClone(c)),
            },
    group_expressions: [],
    group_sets: [],
    having: null,
    qualify: null,
  };
}

/** `epoch_us(max(ts)) AS __sluice_max`: the latest event time of the rows aggregated, in µs. */
export function latestEventTime(watermark: EventTimeWatermark): AstNode {
  const ts: AstNode = {
    class: 'COLUMN_REF',
    type: 'COLUMN_REF',
    alias: '',
    query_location: 2 ** 64,
    column_names: [watermark.column],
  };
  return {
    ...functionNode('epoch_us', [functionNode('max', [castNode(ts, 'TIMESTAMP WITH TIME ZONE')])]),
    alias: '__sluice_max',
  };
}
