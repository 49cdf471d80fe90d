// Benchmark: validate a generated 1,000-dataset pipeline (mixed SQL/TS, chains and fan-in).
// Goal: validatePipeline ≤ 2 s. Run: `npm run bench -- graph [domains]`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validatePipeline } from '../src/index.ts';

const CHAIN = 14;
const MVS = 5;

/** Writes the pipeline; each domain has a bronze table, a chain of 14 streaming tables, 5 fan-in MVs (20 datasets). */
function generate(dir: string, domains: number): number {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(join(dir, 'spark-pipeline.yml'), 'name: bench_graph\nconfiguration:\n  min_id: "0"\n');
  let count = 0;
  for (let d = 0; d < domains; d++) {
    const sqlParts: string[] = [];
    const tsParts: string[] = [
      "import { expect, expectOrDrop, materializedView, read, sql, stream, table } from 'sluice';",
      '',
    ];
    sqlParts.push(`CREATE OR REFRESH STREAMING TABLE bronze_${d} (
  CONSTRAINT has_id EXPECT (id IS NOT NULL)
)
AS SELECT * FROM STREAM read_files('data/d${d}/*.json', format => 'json');
`);
    count++;
    for (let i = 1; i <= CHAIN; i++) {
      const prev = i === 1 ? `bronze_${d}` : `s_${d}_${i - 1}`;
      if (i % 2 === 0) {
        sqlParts.push(`CREATE OR REFRESH STREAMING TABLE s_${d}_${i} (
  CONSTRAINT valid_id EXPECT (id > \${min_id}) ON VIOLATION DROP ROW
)
AS SELECT id, v + ${i} AS v, current_timestamp() AS at FROM STREAM(${prev}) WHERE id IS NOT NULL;
`);
      } else {
        tsParts.push(`table(
  { name: 's_${d}_${i}', expectations: [expectOrDrop('valid_id', 'id > 0'), expect('has_v', 'v IS NOT NULL')] },
  sql\`SELECT id, v * 2 AS v, current_timestamp() AS at FROM \${stream('${prev}')}\`,
);
`);
      }
      count++;
    }
    for (let k = 0; k < MVS; k++) {
      const a = `s_${d}_${CHAIN}`;
      const b = `s_${(d + 1 + k) % domains}_${CHAIN}`;
      const c = `s_${(d + 7 + k) % domains}_${CHAIN - 4}`;
      if (k % 2 === 0) {
        sqlParts.push(`CREATE MATERIALIZED VIEW mv_${d}_${k} AS
SELECT a.id, count(*) AS n, sum(b.v) AS total, max(c.v) AS top
FROM ${a} a JOIN ${b} b ON a.id = b.id LEFT JOIN ${c} c ON c.id = a.id
GROUP BY a.id;
`);
      } else {
        tsParts.push(`materializedView(
  { name: 'mv_${d}_${k}' },
  sql\`SELECT a.id, count(*) AS n, sum(b.v) AS total FROM \${read('${a}')} a JOIN \${read('${b}')} b ON a.id = b.id WHERE a.id IN (SELECT id FROM \${read('${c}')}) GROUP BY a.id\`,
);
`);
      }
      count++;
    }
    writeFileSync(
      join(dir, 'transformations', `domain_${String(d).padStart(3, '0')}.sql`),
      sqlParts.join('\n'),
    );
    writeFileSync(
      join(dir, 'transformations', `domain_${String(d).padStart(3, '0')}.ts`),
      tsParts.join('\n'),
    );
  }
  return count;
}

export async function run(args: readonly string[] = []): Promise<void> {
  const domains = Number(args[0] ?? 50);
  const dir = join(new URL('.', import.meta.url).pathname, '.data', 'graph');
  const datasets = generate(dir, domains);
  const times: number[] = [];
  let last: Awaited<ReturnType<typeof validatePipeline>> | undefined;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    last = await validatePipeline(dir);
    times.push(performance.now() - t0);
  }
  const r = last!;
  if (!r.valid) {
    console.error(
      r.errors
        .slice(0, 5)
        .map((e) => e.format())
        .join('\n'),
    );
    throw new Error(`generated pipeline did not validate (${r.errors.length} errors)`);
  }
  const expectations = [...r.graph!.datasets.values()].reduce((n, d) => n + d.expectations.length, 0);
  console.log(
    `graph: ${datasets} datasets (${r.files.length} files, ${r.graph!.flows.size} flows, ${r.graph!.edges.length} edges, ${expectations} expectations)`,
  );
  console.log(
    `graph: validatePipeline first run ${times[0]!.toFixed(0)} ms (includes tsx/DuckDB warm-up), then ${times
      .slice(1)
      .map((t) => t.toFixed(0))
      .join(' ms, ')} ms — goal ≤ 2000 ms`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
