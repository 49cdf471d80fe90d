/**
 * The dataflow graph's layout, left to right (layered-layout.ts): datasets as cards, file sources as pills,
 * edges as curves from the right side of a node to the left side of the next.
 */
import { createHash } from 'node:crypto';
import type { GraphJson, GraphLayoutJson, PlacedJson } from './dashboard-types.ts';
import { edgeKey, layeredLayout } from './layered-layout.ts';

export const CARD = { width: 236, height: 84 };
const SOURCE = { width: 200, height: 40 };

type Point = { readonly x: number; readonly y: number };
type Box = Point & { readonly width: number; readonly height: number };

/**
 * An edge from the right side of `from` to the left side of `to`, through the points of the
 * ranks it skips (its dummy nodes), as horizontal-tangent cubic segments.
 */
function pathOf(from: Box, to: Box, bends: readonly Point[]): string {
  const start = { x: from.x + from.width / 2, y: from.y };
  const end = { x: to.x - to.width / 2, y: to.y };
  const inner = bends.filter((p) => p.x > start.x + 4 && p.x < end.x - 4);
  const all = [start, ...inner, end];
  let d = `M${start.x},${start.y}`;
  for (let i = 1; i < all.length; i++) {
    const p = all[i - 1]!;
    const n = all[i]!;
    const mx = (p.x + n.x) / 2;
    d += ` C${mx},${p.y} ${mx},${n.y} ${n.x},${n.y}`;
  }
  return d;
}

type Laid = Pick<GraphJson, 'datasets' | 'sources' | 'edges'>;

/** What a layout depends on: the nodes (by id, in order) and the edges between them. */
export function layoutKey(graph: Laid): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        graph.sources.map((s) => s.id),
        graph.datasets.map((d) => d.name),
        graph.edges.map((e) => [e.from, e.to]),
      ]),
    )
    .digest('hex')
    .slice(0, 32);
}

/**
 * Lays the graph out left to right (see layered-layout.ts: a few milliseconds for 200 datasets),
 * once per validation, so a page load only draws; `previous` is reused as it is when its key says
 * the nodes and edges are the same.
 */
export function layoutGraph(graph: Laid, previous?: GraphLayoutJson): GraphLayoutJson {
  const key = layoutKey(graph);
  if (previous?.key === key) return previous;
  const sizes = new Map<string, { width: number; height: number }>();
  for (const s of graph.sources) sizes.set(s.id, SOURCE);
  for (const d of graph.datasets) sizes.set(d.name, CARD);
  const laid = layeredLayout(
    [...sizes].map(([id, size]) => ({ id, ...size })),
    graph.edges,
    { nodeSep: 22, rankSep: 64, marginX: 24, marginY: 24 },
  );
  const box = (id: string): Box => ({ ...laid.nodes.get(id)!, ...sizes.get(id)! });
  const nodes: PlacedJson[] = [];
  for (const s of graph.sources) {
    const n = box(s.id);
    nodes.push({
      id: s.id,
      kind: 'source',
      x: n.x - SOURCE.width / 2,
      y: n.y - SOURCE.height / 2,
      ...SOURCE,
    });
  }
  for (const d of graph.datasets) {
    const n = box(d.name);
    nodes.push({ id: d.name, kind: 'dataset', x: n.x - CARD.width / 2, y: n.y - CARD.height / 2, ...CARD });
  }
  const drawn = new Set<string>();
  const edges = graph.edges
    .filter((e) => sizes.has(e.from) && sizes.has(e.to) && e.from !== e.to)
    .filter((e) => {
      const k = edgeKey(e.from, e.to);
      if (drawn.has(k)) return false;
      drawn.add(k);
      return true;
    })
    .map((e) => ({
      from: e.from,
      to: e.to,
      d: pathOf(box(e.from), box(e.to), laid.bends.get(edgeKey(e.from, e.to)) ?? []),
    }));
  return { key, nodes, edges, width: laid.width, height: laid.height };
}
