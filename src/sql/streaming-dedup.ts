/**
 * The de-duplications of one watermarked stream (see {@link StreamingDedup}): `SELECT DISTINCT`
 * over it, and the QUALIFY row_number() spelling of dropDuplicatesWithinWatermark.
 */
import {
  type EventTimeWatermark,
  inputPlaceholder,
  type QueryInput,
  type StatefulRefusal,
  type StreamingDedup,
} from '../model/index.ts';
import { type AstNode, contains, isNode, type Json, nodes, str } from './ast.ts';

/** `SELECT DISTINCT` over one watermarked stream: see {@link StreamingDedup}. */
export function dedupPlan(
  root: AstNode,
  inputs: readonly QueryInput[],
  marked: readonly number[],
  refuse: (reason: string) => StatefulRefusal,
): StreamingDedup | StatefulRefusal {
  if (marked.length > 1) return refuse('de-duplicates several watermarked streams joined; not supported yet');
  const input = marked[0]!;
  const watermark = inputs[input]!.watermark as EventTimeWatermark;
  const from = isNode(root.from_table) ? root.from_table : undefined;
  if (!from || from.type !== 'BASE_TABLE' || str(from, 'table_name') !== inputPlaceholder(input))
    return refuse(
      'de-duplicates a watermarked stream joined with other relations; only a single stream is supported',
    );
  const modifiers = nodes(root, 'modifiers');
  const distinct = modifiers.find((m) => str(m, 'type') === 'DISTINCT_MODIFIER')!;
  if (modifiers.length > 1 || nodes(distinct, 'distinct_on_targets').length > 0)
    return refuse('uses DISTINCT ON, ORDER BY or LIMIT on a stream');
  const cte = isNode(root.cte_map) ? nodes(root.cte_map, 'map') : [];
  if (cte.length > 0 || root.qualify || contains(root, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW'))
    return refuse('uses WITH, a subquery or a window function in a streaming de-duplication');
  const column = watermark.column.toLowerCase();
  const items = nodes(root, 'select_list');
  let eventTimeColumn: string | undefined;
  for (const item of items) {
    const empty = (k: string) => !Array.isArray(item[k]) || (item[k] as Json[]).length === 0;
    if (item.class === 'STAR' && item.columns !== true && empty('exclude_list') && empty('replace_list'))
      eventTimeColumn ??= watermark.column;
    const names =
      item.class === 'COLUMN_REF' && Array.isArray(item.column_names) ? item.column_names.map(String) : [];
    const alias = str(item, 'alias');
    if (names.at(-1)?.toLowerCase() === column && (alias === '' || alias.toLowerCase() === column))
      eventTimeColumn ??= alias || names.at(-1)!;
  }
  if (!eventTimeColumn) {
    return refuse(
      `de-duplicates a watermarked stream without its event-time column '${watermark.column}' among the columns: the rows seen could never leave state; select '${watermark.column}' too`,
    );
  }
  return Object.freeze({ kind: 'streaming_dedup', mode: 'distinct', input, watermark, eventTimeColumn });
}

/**
 * `SELECT * FROM <one watermarked stream> QUALIFY row_number() OVER (PARTITION BY k…) = 1`, and
 * nothing else: the SQL spelling of dropDuplicatesWithinWatermark(k…) (see {@link StreamingDedup});
 * undefined for any other query, which is then judged as written.
 */
export function withinWatermarkPlan(
  root: AstNode,
  inputs: readonly QueryInput[],
  marked: readonly number[],
): StreamingDedup | undefined {
  if (marked.length !== 1) return undefined;
  const input = marked[0]!;
  const from = isNode(root.from_table) ? root.from_table : undefined;
  if (from?.type !== 'BASE_TABLE' || str(from, 'table_name') !== inputPlaceholder(input)) return undefined;
  const items = nodes(root, 'select_list');
  const star = items.length === 1 && items[0]!.class === 'STAR' && !items[0]!.relation_name;
  const plain = (k: string) => !Array.isArray(items[0]![k]) || (items[0]![k] as Json[]).length === 0;
  if (!star || !plain('exclude_list') || !plain('replace_list') || items[0]!.columns === true)
    return undefined;
  const cte = isNode(root.cte_map) ? nodes(root.cte_map, 'map') : [];
  if (cte.length > 0 || nodes(root, 'modifiers').length > 0 || isNode(root.where_clause)) return undefined;
  // The comparison as written, or as translated: a CASE on the type of row_number()'s value (a
  // BIGINT, so its ELSE, the comparison itself, is what runs).
  const written = root.qualify as AstNode;
  const q = written.class === 'CASE' && isNode(written.else_expr) ? written.else_expr : written;
  if (q.class !== 'COMPARISON' || q.type !== 'COMPARE_EQUAL' || !isNode(q.left) || !isNode(q.right))
    return undefined;
  const one = q.right.class === 'CONSTANT' && isNode(q.right.value) && q.right.value.value === 1;
  const w = q.left;
  if (q !== written) {
    const checks = Array.isArray(written.case_checks) ? written.case_checks : [];
    const typeTests = checks.every(
      (c) => isNode(c) && contains(c.when_expr ?? null, (n) => str(n, 'function_name') === 'typeof'),
    );
    if (!typeTests) return undefined;
  }
  if (!one || w.class !== 'WINDOW' || str(w, 'type') !== 'WINDOW_ROW_NUMBER') return undefined;
  if (nodes(w, 'orders').length > 0 || isNode(w.start_expr) || isNode(w.end_expr)) return undefined;
  const partitions = nodes(w, 'partitions');
  const keys = partitions.map((p) =>
    p.class === 'COLUMN_REF' && Array.isArray(p.column_names) && p.column_names.length === 1
      ? String(p.column_names[0])
      : undefined,
  );
  if (keys.length === 0 || keys.some((k) => k === undefined)) return undefined;
  const watermark = inputs[input]!.watermark as EventTimeWatermark;
  return Object.freeze({
    kind: 'streaming_dedup',
    mode: 'within_watermark',
    input,
    watermark,
    keys: Object.freeze(keys as string[]),
  });
}
