import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CompileCache, type SqlParseOptions } from '../../src/sql/index.ts';
import { session } from '../helpers/session.ts';

after(() => session.close());

// A file with what changes a compiled query: substitution, a format detected from files, a
// stateful plan (windowed aggregation over a watermarked stream), joins, locations on line > 1.
const FILE = `SET src = orders;
CREATE STREAMING TABLE raw AS SELECT * FROM STREAM read_files('data/in');

CREATE STREAMING TABLE clean (CONSTRAINT ok EXPECT (id > 0) ON VIOLATION DROP ROW)
AS SELECT id, CAST(amount AS DOUBLE) * 1e2 AS cents, ts FROM STREAM(\${src});
CREATE STREAMING TABLE per_minute AS
  SELECT window(ts, '1 minute') AS w, count(*) AS n
  FROM STREAM(clean) WATERMARK ts DELAY OF INTERVAL 10 SECONDS
  GROUP BY window(ts, '1 minute');
CREATE MATERIALIZED VIEW joined AS
  SELECT a.id, b.n FROM clean a LEFT JOIN per_minute b ON a.id = b.n WHERE a.cents > 3.5;
`;

function options(
  detected: Record<string, string>,
  cache?: CompileCache,
): SqlParseOptions & {
  detections: string[];
} {
  const detections: string[] = [];
  return {
    file: 'transformations/t.sql',
    configuration: { unused: 'x' },
    detectFormat: (path) => {
      detections.push(path);
      const format = detected[path];
      return format ? { format } : { reason: `nothing at ${path}` };
    },
    ...(cache ? { compileCache: cache } : {}),
    detections,
  };
}

async function parse(text: string, detected: Record<string, string>, cache?: CompileCache) {
  const r = await session.sql.parsePipelineSql(text, options(detected, cache));
  assert.deepEqual(r.errors, []);
  return r.definitions;
}

/** The cache as it would be read back from its file. */
const roundTrip = (c: CompileCache, salt = 'code-1') =>
  CompileCache.fromJson(JSON.parse(JSON.stringify(c.toJson())), salt);

test('a cached compile gives exactly what compiling gives, and a second load compiles nothing', async () => {
  const plain = await parse(FILE, { 'data/in': 'json' });
  const first = CompileCache.empty('code-1');
  assert.deepEqual(await parse(FILE, { 'data/in': 'json' }, first), plain);
  assert.deepEqual(first.stats, { hits: 0, misses: 4 });
  assert.equal(first.changed, true);
  const second = roundTrip(first);
  const cached = await parse(FILE, { 'data/in': 'json' }, second);
  assert.deepEqual(cached, plain);
  assert.deepEqual(second.stats, { hits: 4, misses: 0 });
  assert.equal(second.changed, false);
  assert.ok(Object.isFrozen(cached.flows[0]!.query) && Object.isFrozen(cached.flows[0]!.query.inputs));
  assert.ok(plain.flows.some((f) => f.query.statefulPlan?.kind === 'streaming_aggregate'));
});

test('an edit, a moved statement or a changed configuration value misses; other statements hit', async () => {
  const warm = CompileCache.empty('code-1');
  await parse(FILE, { 'data/in': 'json' }, warm);

  // One statement edited: only it compiles again.
  const edited = FILE.replace('a.cents > 3.5', 'a.cents > 4.5');
  const c1 = roundTrip(warm);
  const r1 = await parse(edited, { 'data/in': 'json' }, c1);
  assert.deepEqual(c1.stats, { hits: 3, misses: 1 });
  assert.match(r1.flows.find((f) => f.name === 'joined')!.query.sql, /4\.5/);
  assert.deepEqual(r1, await parse(edited, { 'data/in': 'json' }));

  // A line inserted above: every location moved, so every statement compiles again.
  const moved = `-- a comment\n${FILE}`;
  const c2 = roundTrip(warm);
  const r2 = await parse(moved, { 'data/in': 'json' }, c2);
  assert.deepEqual(c2.stats, { hits: 0, misses: 4 });
  assert.equal(r2.flows[0]!.query.location?.line, 3);
  assert.deepEqual(r2, await parse(moved, { 'data/in': 'json' }));

  // The SET value a statement substitutes changed: that statement misses.
  const renamed = FILE.replace('SET src = orders', 'SET src = orders2');
  const c3 = roundTrip(warm);
  const r3 = await parse(renamed, { 'data/in': 'json' }, c3);
  assert.deepEqual(c3.stats, { hits: 3, misses: 1 });
  assert.equal(r3.flows.find((f) => f.name === 'clean')!.query.inputs[0]!.kind, 'dataset');
  assert.deepEqual(
    r3.flows.map((f) => f.query.inputs.map((i) => (i.kind === 'dataset' ? i.name : i.path))),
    [['data/in'], ['orders2'], ['clean'], ['clean', 'per_minute']],
  );
});

test('a format detected differently now misses; an unchanged detection is checked, not compiled', async () => {
  const warm = CompileCache.empty('code-1');
  await parse(FILE, { 'data/in': 'json' }, warm);
  const same = roundTrip(warm);
  const o = options({ 'data/in': 'json' }, same);
  await session.sql.parsePipelineSql(FILE, o);
  assert.deepEqual(same.stats, { hits: 4, misses: 0 });
  assert.deepEqual(o.detections, ['data/in']);

  const csv = roundTrip(warm);
  const r = await parse(FILE, { 'data/in': 'csv' }, csv);
  assert.deepEqual(csv.stats, { hits: 3, misses: 1 });
  const input = r.flows[0]!.query.inputs[0]!;
  assert.equal(input.kind === 'files' ? input.format : undefined, 'csv');
});

test('another code identity, another format or a damaged value reads as an empty cache', async () => {
  const warm = CompileCache.empty('code-1');
  await parse(FILE, { 'data/in': 'json' }, warm);
  const json = JSON.parse(JSON.stringify(warm.toJson())) as {
    format: number;
    entries: Record<string, { query: { sql: unknown } }>;
  };
  const damagedEntry = structuredClone(json);
  Object.values(damagedEntry.entries)[0]!.query.sql = 42;
  for (const [value, salt] of [
    [json, 'code-2'],
    [{ ...json, format: json.format + 1 }, 'code-1'],
    [damagedEntry, 'code-1'],
    ['{"format":1,"sa', 'code-1'],
    [null, 'code-1'],
  ] as const) {
    const c = CompileCache.fromJson(value, salt);
    assert.deepEqual(await parse(FILE, { 'data/in': 'json' }, c), await parse(FILE, { 'data/in': 'json' }));
    assert.deepEqual(c.stats, { hits: 0, misses: 4 });
  }
});

test('a statement that fails to compile is not cached and fails the same way again', async () => {
  const bad = `CREATE MATERIALIZED VIEW m AS SELECT nope_fn(1) AS x;\n`;
  const c = CompileCache.empty('code-1');
  const a = await session.sql.parsePipelineSql(bad, options({}, c));
  const b = await session.sql.parsePipelineSql(bad, options({}, roundTrip(c)));
  assert.equal(a.errors.length, 1);
  assert.deepEqual(
    b.errors.map((e) => [e.code, e.location]),
    a.errors.map((e) => [e.code, e.location]),
  );
  assert.deepEqual(c.stats, { hits: 0, misses: 0 });
});
