/**
 * The dataflow graph, laid out left to right by dagre (datasets as cards, file sources as
 * pills, streaming reads solid and batch reads dashed), with zoom (wheel, buttons) and pan
 * (drag). Cards are HTML over an SVG edge layer, both in one transformed plane.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EdgeJson, GraphJson } from '../dashboard-types.ts';

export const CARD = { width: 236, height: 84 };
const SOURCE = { width: 200, height: 40 };

export interface Placed {
  readonly id: string;
  readonly kind: 'dataset' | 'source';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

interface Laid {
  readonly nodes: readonly Placed[];
  readonly edges: readonly { edge: EdgeJson; d: string }[];
  readonly width: number;
  readonly height: number;
}

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

/** Lays the graph out (memoize: dagre is the costly part of a big graph). */
export function layoutGraph(graph: GraphJson): Laid {
  const g = new Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 22, ranksep: 64, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of graph.sources) g.setNode(s.id, { ...SOURCE });
  for (const d of graph.datasets) g.setNode(d.name, { ...CARD });
  for (const e of graph.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  layout(g);
  const nodes: Placed[] = [];
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
      edge,
      d: pathOf(g.node(edge.from) as Box, g.node(edge.to) as Box, g.edge(edge.from, edge.to)?.points ?? []),
    }));
  const info = g.graph();
  return { nodes, edges, width: info.width ?? 0, height: info.height ?? 0 };
}

interface View {
  readonly x: number;
  readonly y: number;
  readonly k: number;
}

function fit(l: Laid, box: DOMRect | undefined): View {
  if (!box || l.width === 0) return { x: 0, y: 0, k: 1 };
  const k = Math.min(1, (box.width - 16) / l.width, (box.height - 16) / l.height);
  const kk = Math.max(0.2, k);
  return { x: (box.width - l.width * kk) / 2, y: Math.max(8, (box.height - l.height * kk) / 2), k: kk };
}

export function GraphCanvas(props: {
  graph: GraphJson;
  renderNode: (node: Placed) => ComponentChildren;
  edgeClass: (edge: EdgeJson) => string;
  onBackground: () => void;
}) {
  const laid = useMemo(() => layoutGraph(props.graph), [props.graph]);
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null);

  useEffect(() => setView(fit(laid, box.current?.getBoundingClientRect())), [laid]);

  const zoomAt = (factor: number, cx: number, cy: number) =>
    setView((v) => {
      const k = Math.min(2.5, Math.max(0.15, v.k * factor));
      const f = k / v.k;
      return { k, x: cx - (cx - v.x) * f, y: cy - (cy - v.y) * f };
    });
  const center = () => {
    const r = box.current?.getBoundingClientRect();
    return r ? [r.width / 2, r.height / 2] : [0, 0];
  };

  return (
    <div
      class="canvas"
      role="application"
      aria-label="Dataflow graph: drag to pan, wheel to zoom"
      ref={box}
      data-testid="graph-canvas"
      onWheel={(e) => {
        e.preventDefault();
        const r = box.current!.getBoundingClientRect();
        zoomAt(e.deltaY < 0 ? 1.12 : 1 / 1.12, e.clientX - r.left, e.clientY - r.top);
      }}
      onMouseDown={(e) => {
        if ((e.target as HTMLElement).closest('.node')) return;
        drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
      }}
      onMouseMove={(e) => {
        const d = drag.current;
        if (!d) return;
        const dx = e.clientX - d.x;
        const dy = e.clientY - d.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
        setView((v) => ({ ...v, x: d.vx + dx, y: d.vy + dy }));
      }}
      onMouseUp={() => {
        if (drag.current && !drag.current.moved) props.onBackground();
        drag.current = null;
      }}
      onMouseLeave={() => {
        drag.current = null;
      }}
    >
      <div class="plane" style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.k})` }}>
        <svg class="edges" width={laid.width} height={laid.height} aria-hidden="true">
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
            </marker>
          </defs>
          {laid.edges.map(({ edge, d }) => (
            <path
              key={`${edge.from}→${edge.to}`}
              d={d}
              class={`edge ${edge.streaming ? 'streaming' : 'batch'} ${props.edgeClass(edge)}`}
              data-from={edge.from}
              data-to={edge.to}
              marker-end="url(#arrow)"
            />
          ))}
        </svg>
        {laid.nodes.map((n) => (
          <div
            key={n.id}
            class="node-slot"
            style={{ left: `${n.x}px`, top: `${n.y}px`, width: `${n.width}px`, height: `${n.height}px` }}
          >
            {props.renderNode(n)}
          </div>
        ))}
      </div>
      <div class="zoom">
        <button
          type="button"
          class="btn small"
          aria-label="Zoom in"
          onClick={() => zoomAt(1.25, ...(center() as [number, number]))}
        >
          +
        </button>
        <button
          type="button"
          class="btn small"
          aria-label="Zoom out"
          onClick={() => zoomAt(0.8, ...(center() as [number, number]))}
        >
          −
        </button>
        <button
          type="button"
          class="btn small"
          onClick={() => setView(fit(laid, box.current?.getBoundingClientRect()))}
        >
          Fit
        </button>
      </div>
      <div class="legend">
        <span>
          <svg width="28" height="8" aria-hidden="true">
            <line x1="0" y1="4" x2="28" y2="4" class="edge streaming" />
          </svg>
          streaming read
        </span>
        <span>
          <svg width="28" height="8" aria-hidden="true">
            <line x1="0" y1="4" x2="28" y2="4" class="edge batch" />
          </svg>
          batch read
        </span>
      </div>
    </div>
  );
}
