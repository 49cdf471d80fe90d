/**
 * Which SELECTs name a dataset's output columns. The query's own output SELECT (a set
 * operation's first branch) does; so does every SELECT whose columns reach the output through a
 * star (`*`, `t.*`, `* EXCEPT (…)`): the output SELECT of a subquery in FROM or of a CTE that a
 * reached star expands, recursively. A subquery or CTE whose columns are only selected by name
 * (or renamed by a column alias list, `AS x(a, b)`), and subqueries in expressions (IN, EXISTS,
 * scalar) name nothing and are not reached.
 *
 * Works on the parsed (pre-translation) statement: the names are the user's.
 */
import { type AstNode, isNode, nodes, str } from './ast.ts';

/** A SELECT that names output columns: its items from `from` on reach the output by their own names. */
export interface ReachedSelect {
  readonly select: AstNode;
  /** The index of the first item named by its own name (earlier ones are renamed by an alias list). */
  readonly from: number;
  /** Whether this is the query's own output SELECT (not reached through a star). */
  readonly top: boolean;
}

/** A CTE in scope: its name and definition (`{aliases, query: {node}}`). */
interface Cte {
  readonly name: string;
  readonly value: AstNode;
}

/** The SELECTs that name a parsed query's output columns, the query's own output SELECT first. */
export function reachedSelects(root: AstNode): ReachedSelect[] {
  const out: ReachedSelect[] = [];
  const seen = new Set<AstNode>();
  reachQuery(root, [], 0, true, out, seen);
  return out;
}

/** The CTEs a query node declares, appended to `scope` (each one sees those before it). */
function withCtes(node: AstNode, scope: readonly Cte[]): Cte[] {
  const ctes = [...scope];
  const map = isNode(node.cte_map ?? null) ? nodes(node.cte_map as AstNode, 'map') : [];
  for (const entry of map) {
    if (isNode(entry.value ?? null))
      ctes.push({ name: str(entry, 'key').toLowerCase(), value: entry.value as AstNode });
  }
  return ctes;
}

/** Follows a query node (SELECT or set operation, through its first branches) to its output SELECT. */
function reachQuery(
  node: AstNode,
  scope: readonly Cte[],
  renamed: number,
  top: boolean,
  out: ReachedSelect[],
  seen: Set<AstNode>,
): void {
  let current: AstNode | undefined = node;
  let ctes = scope;
  while (current && current.type !== 'SELECT_NODE') {
    ctes = withCtes(current, ctes);
    current = isNode(current.left ?? null) ? (current.left as AstNode) : undefined;
  }
  if (!current || seen.has(current)) return;
  seen.add(current);
  ctes = withCtes(current, ctes);
  const items = nodes(current, 'select_list');
  // Items after a star of unknown width cannot be matched to an alias list: taken as reached.
  const firstStar = items.findIndex((i) => i.class === 'STAR');
  const from = firstStar >= 0 && firstStar < renamed ? firstStar : renamed;
  out.push({ select: current, from: Math.min(from, items.length), top });
  const fromTable = isNode(current.from_table ?? null) ? (current.from_table as AstNode) : undefined;
  for (const [index, item] of items.entries()) {
    if (index < from || item.class !== 'STAR' || !fromTable) continue;
    const relation = str(item, 'relation_name').toLowerCase();
    for (const ref of expandedRefs(fromTable, relation)) reachRef(ref, ctes, out, seen);
  }
}

/** The table references a star over `relation` ('' for all) expands in a FROM clause. */
function expandedRefs(ref: AstNode, relation: string): AstNode[] {
  if (ref.type === 'JOIN') {
    return [ref.left, ref.right].flatMap((side) =>
      isNode(side ?? null) ? expandedRefs(side as AstNode, relation) : [],
    );
  }
  if (relation === '') return [ref];
  const name = (str(ref, 'alias') || str(ref, 'table_name')).toLowerCase();
  return name === relation ? [ref] : [];
}

/** Follows a table reference a star expands to the SELECT naming its columns, if a query does. */
function reachRef(ref: AstNode, ctes: readonly Cte[], out: ReachedSelect[], seen: Set<AstNode>): void {
  const renamed = Array.isArray(ref.column_name_alias) ? ref.column_name_alias.length : 0;
  if (ref.type === 'SUBQUERY') {
    const sub = isNode(ref.subquery ?? null) ? (ref.subquery as AstNode) : undefined;
    if (sub && isNode(sub.node ?? null)) reachQuery(sub.node as AstNode, ctes, renamed, false, out, seen);
    return;
  }
  if (ref.type !== 'BASE_TABLE' || str(ref, 'schema_name') !== '' || str(ref, 'catalog_name') !== '') return;
  const name = str(ref, 'table_name').toLowerCase();
  const index = ctes.findLastIndex((c) => c.name === name);
  if (index < 0) return;
  const cte = ctes[index]!;
  const query = isNode(cte.value.query ?? null) ? (cte.value.query as AstNode) : undefined;
  if (!query || !isNode(query.node ?? null)) return;
  const aliases = Array.isArray(cte.value.aliases) ? cte.value.aliases.length : 0;
  // A CTE sees the CTEs declared before it.
  reachQuery(query.node as AstNode, ctes.slice(0, index), Math.max(aliases, renamed), false, out, seen);
}
