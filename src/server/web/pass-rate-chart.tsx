/**
 * Pass rate per expectation over the last updates, drawn by uPlot: one line for each of the
 * (at most 10) expectations with the lowest pass rate over those updates, so a pipeline with
 * hundreds of expectations still shows the ones that need a look.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { QualityJson } from '../dashboard-types.ts';
import { rate } from './format.ts';

const COLORS = [
  '#2563eb',
  '#dc2626',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#4b5563',
  '#65a30d',
  '#9333ea',
];

/** The expectations with the lowest pass rate over the window (ties in definition order). */
export function worst(quality: QualityJson): QualityJson['expectations'][number][] {
  const overall = (e: QualityJson['expectations'][number]) => {
    let passed = 0;
    let failed = 0;
    for (const h of e.history) {
      passed += h?.passed ?? 0;
      failed += h?.failed ?? 0;
    }
    return rate(passed, failed) ?? 1;
  };
  return quality.expectations
    .filter((e) => e.history.some((h) => h !== null))
    .map((e, i) => ({ e, i, r: overall(e) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .slice(0, COLORS.length)
    .map((x) => x.e);
}

export function PassRateChart({ quality, height = 220 }: { quality: QualityJson; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || quality.updates.length === 0) return;
    const shown = worst(quality);
    const xs = quality.updates.map((_, i) => i + 1);
    const data: uPlot.AlignedData = [
      xs,
      ...shown.map((e) =>
        e.history
          .map((h) => (h ? (rate(h.passed, h.failed) ?? null) : null))
          .map((r) => (r === null ? null : r * 100)),
      ),
    ];
    const plot = new uPlot(
      {
        width: el.clientWidth || 600,
        height,
        scales: {
          x: { time: false, range: [0.5, xs.length + 0.5] },
          y: { range: (_u, min) => [Math.max(0, Math.min(min ?? 90, 90) - 2), 100.5] },
        },
        axes: [
          {
            label: 'update (oldest → newest)',
            values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')),
            stroke: '#64748b',
            grid: { stroke: '#eef2f7' },
          },
          { label: 'pass rate %', stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 56 },
        ],
        series: [
          { label: 'update' },
          ...shown.map((e, i) => ({
            label: `${e.dataset}.${e.name}`,
            stroke: COLORS[i]!,
            width: 2,
            points: { show: xs.length < 40, size: 5 },
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v.toFixed(2)}%`),
          })),
        ],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [quality, height]);
  return <div class="chart" ref={box} data-testid="pass-rate-chart" />;
}
