/**
 * The dataflow graph's layout, left to right (dagre): datasets as cards, file sources as pills,
 * edges as curves from the right side of a node to the left side of the next.
 */
import { createHash } from 'node:crypto';
import { Graph, layout } from '@dagrejs/dagre';
import type { GraphJson, GraphLayoutJson, PlacedJson } from './dashboard-types.ts';

export const CARD = { width: 236, height: 84 };
const SOURCE = { width: 200, height: 40 };

type Point = { readonly x: number; readonly y: number };
type Box = Point & { readonly width: number; readonly height: number };

/**
 * An edge from the right side of `from` to the left side of `to`, through dagre's interior
 * points (the dummy nodes of an edge that skips ranks), as horizontal-tangent cubic segments.
 */
function pathOf(from: Box, to: Box, points: readonly Point[]): string {
  const start = { x: from.x + from.width / 2, y: from.y };
  const end = { x: to.x - to.width / 2, y: to.y };
  // A one-rank edge has a single interior point (dagre's half rank): a plain S-curve is cleaner.
  const interior = points.slice(1, -1);
  const inner = interior.length < 2 ? [] : interior.filter((p) => p.x > start.x + 4 && p.x < end.x - 4);
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
 * Lays the graph out with dagre. Done on the server once per validation (about a second for
 * 200 datasets on a loaded machine, all of it blocking the event loop), so a page load only
 * draws; `previous` is reused as it is when its key says the nodes and edges are the same.
 */
export function layoutGraph(graph: Laid, previous?: GraphLayoutJson): GraphLayoutJson {
  const key = layoutKey(graph);
  if (previous?.key === key) return previous;
  const g = new Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 22, ranksep: 64, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of graph.sources) g.setNode(s.id, { ...SOURCE });
  for (const d of graph.datasets) g.setNode(d.name, { ...CARD });
  for (const e of graph.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  layout(g);
  const nodes: PlacedJson[] = [];
  for (const s of graph.sources) {
    const n = g.node(s.id);
    nodes.push({
      id: s.id,
      kind: 'source',
      x: n.x - SOURCE.width / 2,
      y: n.y - SOURCE.height / 2,
      ...SOURCE,
    });
  }
  for (const d of graph.datasets) {
    const n = g.node(d.name);
    nodes.push({ id: d.name, kind: 'dataset', x: n.x - CARD.width / 2, y: n.y - CARD.height / 2, ...CARD });
  }
  const edges = graph.edges
    .filter((e) => g.hasEdge(e.from, e.to))
    .map((edge) => ({
      from: edge.from,
      to: edge.to,
      d: pathOf(g.node(edge.from) as Box, g.node(edge.to) as Box, g.edge(edge.from, edge.to)?.points ?? []),
    }));
  const info = g.graph();
  return { key, nodes, edges, width: info.width ?? 0, height: info.height ?? 0 };
}
