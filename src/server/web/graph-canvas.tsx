/**
 * The dataflow graph as the server laid it out (graph-layout.ts: datasets as cards, file sources
 * as pills, streaming reads solid and batch reads dashed), with zoom (wheel, buttons) and pan
 * (drag). Cards are HTML over an SVG edge layer, both in one transformed plane.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EdgeJson, GraphJson, GraphLayoutJson, PlacedJson } from '../dashboard-types.ts';

/** A node of the laid-out graph. */
export type Placed = PlacedJson;

interface View {
  readonly x: number;
  readonly y: number;
  readonly k: number;
}

function fit(l: GraphLayoutJson, box: DOMRect | undefined): View {
  if (!box || l.width === 0) return { x: 0, y: 0, k: 1 };
  const k = Math.min(1, (box.width - 16) / l.width, (box.height - 16) / l.height);
  const kk = Math.max(0.2, k);
  return { x: (box.width - l.width * kk) / 2, y: Math.max(8, (box.height - l.height * kk) / 2), k: kk };
}

/**
 * The first view: the whole graph when it fits readably (scale ≥ 0.55), else its start (the
 * sources, on the left) at a readable scale; Fit shows the whole graph.
 */
function initial(l: GraphLayoutJson, box: DOMRect | undefined): View {
  const whole = fit(l, box);
  if (!box || whole.k >= 0.55) return whole;
  const k = 0.7;
  const first = l.nodes.reduce((a, n) => (n.x < a.x || (n.x === a.x && n.y < a.y) ? n : a), l.nodes[0]!);
  return { k, x: 24 - first.x * k, y: box.height / 3 - (first.y + first.height / 2) * k };
}

export function GraphCanvas(props: {
  graph: GraphJson;
  renderNode: (node: Placed) => ComponentChildren;
  edgeClass: (edge: EdgeJson) => string;
  onBackground: () => void;
}) {
  const laid = props.graph.layout;
  const edgeOf = useMemo(
    () => new Map(props.graph.edges.map((e) => [`${e.from}\u2192${e.to}`, e])),
    [props.graph],
  );
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null);

  useEffect(() => setView(initial(laid, box.current?.getBoundingClientRect())), [laid]);

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
          {laid.edges.map(({ from, to, d }) => {
            const edge = edgeOf.get(`${from}\u2192${to}`);
            return (
              <path
                key={`${from}\u2192${to}`}
                d={d}
                class={`edge ${edge?.streaming === false ? 'batch' : 'streaming'} ${edge ? props.edgeClass(edge) : ''}`}
                data-from={from}
                data-to={to}
                marker-end="url(#arrow)"
              />
            );
          })}
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
