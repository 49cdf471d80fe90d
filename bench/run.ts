// Benchmark dispatcher: `npm run bench -- <name> [args]`. Each benchmark is a module exporting
// `run(args: string[]): Promise<void>`; register new ones in BENCHES.
const BENCHES: Record<
  string,
  { summary: string; load: () => Promise<{ run(args: string[]): Promise<void> }> }
> = {
  storage: { summary: 'Delta commit latency and snapshot load time', load: () => import('./storage.ts') },
  graph: { summary: 'validate a generated 1,000-dataset pipeline', load: () => import('./graph.ts') },
  engine: {
    summary: 'cold NDJSON → ST → MV run and fixed cost per micro-batch',
    load: () => import('./engine.ts'),
  },
  soak: {
    summary: 'continuous run fed one file per second: files per table, RSS slope, file-to-queryable latency',
    load: () => import('./soak.ts'),
  },
  lint: {
    summary: 'sluice lint over 1,000 generated SQL, Python and YAML files',
    load: () => import('./lint.ts'),
  },
  ui: {
    summary:
      'sluice ui on a 200-dataset pipeline with 1,000 updates: start-up, first meaningful paint, live latency',
    load: () => import('./ui.ts'),
  },
  cdc: {
    summary: 'AUTO CDC: 1M change events over 100k keys, SCD 1 or 2, cold and +1 %, vs raw DuckDB MERGE',
    load: () => import('./cdc.ts'),
  },
  windows: {
    summary:
      'stateful streaming: 10M events in 1-minute windows, 10 s watermark, 100 micro-batches vs one raw DuckDB GROUP BY',
    load: () => import('./windows.ts'),
  },
  'stream-join': {
    summary:
      'stream–stream left outer join: 1M impressions and their clicks, 1-minute range, 10 s watermarks, 50 micro-batches vs one raw DuckDB join',
    load: () => import('./stream-join.ts'),
  },
  dv: {
    summary: 'full scan of a 10M-row table with deletion vectors over 20% of rows vs without',
    load: () => import('./deletion-vectors.ts'),
  },
  xml: {
    summary: 'cold run over 100k XML rows in 10 files (check, infer, read) vs the same rows as JSON lines',
    load: () => import('./xml.ts'),
  },
  example: {
    summary: 'the example pipeline vs raw DuckDB SQL and a hand-written Node.js script',
    load: () => import('./example.ts'),
  },
};

const [name, ...args] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHES[name];
if (bench === undefined) {
  console.error(
    `usage: npm run bench -- <name>\n${Object.entries(BENCHES)
      .map(([n, b]) => `  ${n.padEnd(12)}${b.summary}`)
      .join('\n')}`,
  );
  process.exit(name === undefined ? 0 : 2);
}
await (await bench.load()).run(args);
