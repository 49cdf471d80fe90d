/**
 * ANSI mode off (`spark.sql.ansi.enabled = false`): conversions whose form depends on a type the
 * translation does not know (a column of a file source or an upstream table) are written as
 * markers and resolved once the query is bound to its inputs (src/sql/legacy-markers.ts).
 *
 * Java's `BigDecimal.toString` (the text Spark's non-ANSI cast and string functions make of a
 * DECIMAL), from its specification: the unscaled value's digits, and the adjusted exponent
 * `-scale + (digits - 1)`. With a scale ≥ 0 and an adjusted exponent ≥ -6 the number prints
 * plainly (`0.000100`); otherwise in exponential notation: a point after the first digit when
 * there are more, `E` and the signed adjusted exponent (`1.00E-9`, `5E-11`, `0E-11`).
 * Spark types `DECIMAL(10,2) * 0.000000001` (a DECIMAL(9,9)) as DECIMAL(20,11): scale 11.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { classifyDuckDBError, isSluiceError } from '../../src/errors/index.ts';
import { runPipeline, validatePipeline } from '../../src/index.ts';
import { assertNoLegacyMarkers } from '../../src/sql/index.ts';
import { runCli } from '../helpers/cli.ts';
import { duck, ndjson, readTable, writeFiles } from '../helpers/pipeline.ts';
import { session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { rows, runTyped } from './helpers.ts';

const LEGACY = { configuration: { 'spark.sql.ansi.enabled': 'false' } } as const;
const LEGACY_SPEC = 'configuration:\n  spark.sql.ansi.enabled: "false"\n';

/** Runs the pipeline at `dir` and asserts that its update completed. */
async function ranToCompletion(dir: string): Promise<void> {
  const outcome = await runPipeline(dir);
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') return;
  assert.equal(outcome.result.state, 'COMPLETED', JSON.stringify(outcome.result.flows.map((f) => f.error)));
}

const show = (v: unknown): string => (v === null || v === undefined ? 'NULL' : String(v));

test('ANSI mode off: a computed DECIMAL made text by a string function prints as BigDecimal.toString', async () => {
  const dir = tmpDir('legacy-decimal-text');
  writeFiles(dir, {
    'spark-pipeline.yml': `name: legacy-decimal-text\n${LEGACY_SPEC}`,
    'data/prices.json': ndjson([
      { id: 1, price: '1.00' },
      { id: 2, price: '12.50' },
      { id: 3, price: '0.05' },
      { id: 4, price: '-3.00' },
      { id: 5, price: '0' },
      { id: 6, price: null },
    ]),
    'transformations/a.sql': `CREATE OR REFRESH MATERIALIZED VIEW src AS
  SELECT id, CAST(price AS DECIMAL(10,2)) AS price FROM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW texts AS
  SELECT id,
         concat('x', price * 0.000000001) AS c,
         upper(price * 0.0001) AS u,
         length(price * 0.0000001) AS l,
         'p=' || (price * 0.000000001) AS o,
         concat_ws('-', price * 0.000000001, 'a') AS w,
         concat('n', id * 2) AS i,
         replace(price * 0.000000001, 'E', 'e') AS r
  FROM src;`,
  });
  assert.deepEqual((await validatePipeline(dir)).errors, []);
  await ranToCompletion(dir);
  const got = (await readTable(join(dir, '.sluice', 'tables', 'default', 'texts'), 'id')).map((r) =>
    [r.id, r.c, r.u, r.l, r.o, r.w, r.i, r.r].map(show).join('|'),
  );
  assert.deepEqual(got, [
    // scale 11 (×1e-9), 6 (×1e-4), 9 (×1e-7): the adjusted exponent decides the notation.
    '1|x1.00E-9|0.000100|7|p=1.00E-9|1.00E-9-a|n2|1.00e-9',
    '2|x1.250E-8|0.001250|11|p=1.250E-8|1.250E-8-a|n4|1.250e-8',
    '3|x5E-11|0.000005|4|p=5E-11|5E-11-a|n6|5e-11',
    '4|x-3.00E-9|-0.000300|8|p=-3.00E-9|-3.00E-9-a|n8|-3.00e-9',
    '5|x0E-11|0.000000|4|p=0E-11|0E-11-a|n10|0e-11',
    '6|NULL|NULL|NULL|NULL|a|n12|NULL',
  ]);
});

test('ANSI mode off: a cast of a file column in GROUP BY binds a small query with the rows DuckDB computes', async () => {
  const dir = tmpDir('legacy-group-cast');
  const records = [
    { p: 'A', s: ' 1.9 ' },
    { p: 'a', s: '1' },
    { p: 'B', s: '-.5' },
    { p: null, s: 'x' },
    { p: 'b', s: '2' },
    { p: 'ÄB', s: '' },
  ];
  writeFiles(dir, {
    'spark-pipeline.yml': `name: legacy-group-cast\n${LEGACY_SPEC}`,
    'data/rows.json': ndjson(records),
    'transformations/a.sql': `CREATE OR REFRESH MATERIALIZED VIEW keys AS
  SELECT lower(CAST(p AS STRING)) AS k, count(*) AS n FROM read_files('data', format => 'json')
  GROUP BY lower(CAST(p AS STRING));
CREATE OR REFRESH MATERIALIZED VIEW ints AS
  SELECT CAST(s AS INT) AS i, count(*) AS n FROM read_files('data', format => 'json')
  GROUP BY CAST(s AS INT);`,
  });
  assert.deepEqual((await validatePipeline(dir)).errors, []);
  await ranToCompletion(dir);
  const file = join(dir, 'data', 'rows.json');
  const sorted = (rs: Record<string, unknown>[], key: string) =>
    rs.map((r) => `${show(r[key])}|${Number(r.n)}`).sort();
  // Independently: DuckDB's lower of the text; Spark's non-ANSI toInt (trimmed, fraction dropped).
  const keys = await duck(
    `SELECT lower(p) AS k, count(*) AS n FROM read_json('${file}', columns = {p: 'VARCHAR', s: 'VARCHAR'}) GROUP BY 1`,
  );
  assert.deepEqual(
    sorted(await readTable(join(dir, '.sluice', 'tables', 'default', 'keys'), 'k'), 'k'),
    sorted(keys, 'k'),
  );
  const ints = await duck(
    `SELECT CASE WHEN regexp_full_match(trim(s), '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]*)')
       THEN CAST(regexp_extract(trim(s), '^([+-]?)', 1) || coalesce(nullif(regexp_extract(trim(s), '^[+-]?([0-9]*)', 1), ''), '0') AS INT) END AS i,
       count(*) AS n
     FROM read_json('${file}', columns = {p: 'VARCHAR', s: 'VARCHAR'}) GROUP BY 1`,
  );
  assert.deepEqual(
    sorted(await readTable(join(dir, '.sluice', 'tables', 'default', 'ints'), 'n'), 'i'),
    sorted(ints, 'i'),
  );
  assert.deepEqual(sorted(ints, 'i'), ['0|1', '1|2', '2|1', 'NULL|2']);

  // The SQL sent to DuckDB: a compact marker when translated, one conversion when bound.
  const q = await session.sql.compileQuery(
    'SELECT lower(CAST(p AS STRING)) AS k, count(*) AS n FROM t GROUP BY lower(CAST(p AS STRING))',
    LEGACY,
  );
  assert.ok(q.sql.length < 10_000, `translated: ${q.sql.length} characters`);
  const bound = await runTyped(q.sql, [
    `SELECT * FROM read_json('${file}', columns = {p: 'VARCHAR', s: 'VARCHAR'})`,
  ]);
  assert.ok(bound.sql.length < 10_000, `bound: ${bound.sql.length} characters`);
  assert.doesNotThrow(() => assertNoLegacyMarkers(bound.sql));
  assert.deepEqual(sorted(bound.rows, 'k'), sorted(keys, 'k'));
});

test('ANSI mode off: a cast refused for the type its column has is refused at validate, with its file:line', async () => {
  const dir = tmpDir('legacy-bound-refusal');
  writeFiles(dir, {
    'spark-pipeline.yml': `name: legacy-bound-refusal\n${LEGACY_SPEC}`,
    'data/rows.json': ndjson([{ d: '2020-01-01' }]),
    'transformations/a.sql': `CREATE OR REFRESH MATERIALIZED VIEW days AS
  SELECT CAST(d AS DATE) AS d FROM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW ints AS
  SELECT CAST(d AS INT) AS i FROM days;`,
  });
  const v = await validatePipeline(dir);
  assert.deepEqual(
    v.errors.map((e) => [e.code, e.location?.file, e.location?.line]),
    [['LEGACY_MODE_UNSUPPORTED', 'transformations/a.sql', 4]],
  );
});

test('ANSI mode off: an operand no probe can type keeps the conversion for every type', async () => {
  // A lambda parameter and an outer query's column: the probe does not bind, DuckDB's typeof chooses.
  const q = await session.sql.compileQuery(
    `SELECT transform(a, e -> CAST(e AS INT)) AS xs,
            (SELECT concat('v', t.d * 0.000000001) FROM (SELECT 1 AS one) u) AS v
     FROM t`,
    LEGACY,
  );
  const bound = await runTyped(q.sql, ["SELECT [' 1.9', 'x'] AS a, CAST('2.00' AS DECIMAL(10,2)) AS d"]);
  assert.doesNotThrow(() => assertNoLegacyMarkers(bound.sql));
  assert.deepEqual(
    bound.rows.map((r) => [JSON.stringify(r.xs), r.v]),
    [['[1,null]', 'v2.00E-9']],
  );
});

test('a marker that reaches DuckDB unresolved fails with the internal LEGACY_MODE_UNRESOLVED_TYPE', async () => {
  const q = await session.sql.compileQuery('SELECT CAST(s AS INT) AS i FROM t', LEGACY);
  assert.throws(
    () => assertNoLegacyMarkers(q.sql),
    (e) => isSluiceError(e) && e.code === 'LEGACY_MODE_UNRESOLVED_TYPE',
  );
  const message = await rows(q.sql.replace(/__sluice_input_0/g, "(SELECT '1' AS s)")).then(
    () => '',
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  assert.equal(classifyDuckDBError(message)?.code, 'LEGACY_MODE_UNRESOLVED_TYPE');
});

test('ANSI mode off: every way a flow runs types the markers — streaming tables, views, refresh by groups, windowed aggregation', async () => {
  const dir = tmpDir('legacy-flow-kinds');
  const batch = (from: number, n: number) =>
    ndjson(
      Array.from({ length: n }, (_, i) => ({
        id: from + i,
        p: ['A', 'a', 'B', null][(from + i) % 4],
        s: [' 1.9 ', '2', '-.5', 'x'][(from + i) % 4],
        price: ['1.00', '0.05', '12.50'][(from + i) % 3],
        ts: `2024-01-01 00:${String(from + i).padStart(2, '0')}:00`,
      })),
    );
  writeFiles(dir, {
    'spark-pipeline.yml': `name: legacy-flow-kinds\n${LEGACY_SPEC}`,
    'data/1.json': batch(0, 8),
    'transformations/a.sql': `CREATE OR REFRESH STREAMING TABLE src AS
  SELECT id, lower(CAST(p AS STRING)) AS k, CAST(s AS INT) AS i, CAST(price AS DECIMAL(10,2)) AS price,
         CAST(ts AS TIMESTAMP) AS ts
  FROM STREAM read_files('data', format => 'json', schema => 'id INT, p STRING, s STRING, price STRING, ts STRING');
CREATE TEMPORARY VIEW priced AS SELECT id, concat('x', price * 0.000000001) AS t FROM src;
CREATE OR REFRESH MATERIALIZED VIEW priced_ids AS SELECT id, t FROM priced;
CREATE OR REFRESH MATERIALIZED VIEW by_key AS
  SELECT upper(CAST(k AS STRING)) AS u, count(*) AS n, max(concat('x', price * 0.000000001)) AS t
  FROM src GROUP BY upper(CAST(k AS STRING));
CREATE OR REFRESH STREAMING TABLE per_minute AS
  SELECT window(ts, '1 minute') AS w, k, CAST(sum(i) + 126 AS TINYINT) AS t, count(*) AS n
  FROM STREAM(src) WATERMARK ts DELAY OF INTERVAL 10 SECONDS
  GROUP BY window(ts, '1 minute'), k;`,
  });
  const cli = await runCli(['validate', dir]);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  const update = async () => {
    const outcome = await runPipeline(dir);
    assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
    if (outcome.kind !== 'ran') throw new Error('unreachable');
    assert.equal(outcome.result.state, 'COMPLETED', JSON.stringify(outcome.result.flows.map((f) => f.error)));
    return outcome.result;
  };
  await update();
  writeFiles(dir, { 'data/2.json': batch(8, 8) });
  const second = await update();
  const planning = second.flows.find((f) => f.dataset === 'by_key')?.planning;
  assert.equal(planning?.technique, 'GROUP_AGGREGATE', planning?.reason);

  // Independently, over both files.
  const files = join(dir, 'data', '*.json');
  const all = `read_json('${files}', columns = {id: 'INT', p: 'VARCHAR', s: 'VARCHAR', price: 'VARCHAR', ts: 'VARCHAR'})`;
  const want = await duck(
    `SELECT upper(lower(p)) AS u, count(*) AS n FROM ${all} GROUP BY 1 ORDER BY 1 NULLS LAST`,
  );
  const got = await readTable(join(dir, '.sluice', 'tables', 'default', 'by_key'), 'u NULLS LAST');
  assert.deepEqual(
    got.map((r) => `${show(r.u)}|${Number(r.n)}`),
    want.map((r) => `${show(r.u)}|${Number(r.n)}`),
  );
  // max of 'x1.00E-9', 'x1.250E-8', 'x5E-11' as text.
  assert.ok(
    got.every((r) => r.t === 'x5E-11'),
    JSON.stringify(got.map((r) => r.t)),
  );
  // The watermark (latest 00:15 less 10 s) has closed the windows 00:00 … 00:13; their sums of i
  // plus 126, narrowed to TINYINT as Java does (low 8 bits: 128 → -128).
  const priced = await readTable(join(dir, '.sluice', 'tables', 'default', 'priced_ids'), 'id');
  assert.deepEqual(
    priced.map((r) => r.t),
    Array.from({ length: 16 }, (_, i) => ['x1.00E-9', 'x5E-11', 'x1.250E-8'][i % 3]),
  );
  const minutes = await readTable(join(dir, '.sluice', 'tables', 'default', 'per_minute'), 'w.start, k');
  const sums = await duck(`
    WITH r AS (SELECT lower(p) AS k, CASE (id % 4) WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 0 END AS i,
                      date_trunc('minute', CAST(ts AS TIMESTAMP)) AS m FROM ${all})
    SELECT m, k, sum(i) + 126 AS t, count(*) AS n FROM r WHERE m < TIMESTAMP '2024-01-01 00:14:00'
    GROUP BY m, k ORDER BY m, k`);
  const narrow = (v: unknown) => (v === null ? 'NULL' : String(((Number(v) + 128) % 256) - 128));
  assert.deepEqual(
    minutes.map((r) => `${show(r.k)}|${show(r.t)}|${Number(r.n)}`).sort(),
    sums.map((r) => `${show(r.k)}|${narrow(r.t)}|${Number(r.n)}`).sort(),
  );
  assert.ok(
    minutes.some((r) => Number(r.t) < 0),
    'a sum that wraps',
  );
});
