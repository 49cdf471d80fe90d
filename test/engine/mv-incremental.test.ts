import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { duck, ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const PIPELINE = {
  'spark-pipeline.yml': 'name: mv_groups\n',
  'transformations/events.sql': `
CREATE STREAMING TABLE events
AS SELECT * FROM STREAM read_files('data/*.json', format => 'json',
  schema => 'id BIGINT, user_id BIGINT, kind STRING, ts TIMESTAMP, amount DOUBLE');

-- refreshed by groups: deterministic aggregate, keys are output columns
CREATE MATERIALIZED VIEW hourly AS
SELECT date_trunc('hour', ts) AS hour, kind, count(*) AS n, count(DISTINCT user_id) AS users, sum(amount) AS total
FROM events GROUP BY date_trunc('hour', ts), kind;

-- by groups too: positional key, WHERE and HAVING
CREATE MATERIALIZED VIEW by_kind AS
SELECT kind, max(amount) AS top, count(*) AS n FROM events WHERE amount > 0 GROUP BY 1 HAVING count(*) > 1;

-- LIMIT: recomputed completely
CREATE MATERIALIZED VIEW top_kinds AS
SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY n DESC, kind LIMIT 2;
`,
};

type Ev = { id: number; user_id: number | null; kind: string | null; ts: string | null; amount: number };
const ev = (id: number, user: number | null, kind: string | null, hour: number | null, amount = 1): Ev => ({
  id,
  user_id: user,
  kind,
  ts:
    hour === null
      ? null
      : `2026-03-01T${String(hour).padStart(2, '0')}:${String(id % 60).padStart(2, '0')}:00Z`,
  amount,
});

const FIRST: Ev[] = [
  ev(1, 1, 'a', 8, 5),
  ev(2, 2, 'a', 8),
  ev(3, 1, 'b', 9, 2),
  ev(4, 3, 'a', 9),
  ev(5, null, null, 9),
  ev(6, 4, 'c', null, 7),
  ev(7, 5, 'd', 8, 3),
];
// Touches (9, a) with a user already counted there, (null kind), (null hour), a new hour, and
// leaves (8, a), (8, d) and (9, b) alone.
const SECOND: Ev[] = [
  ev(11, 3, 'a', 9, 4),
  ev(12, 6, 'a', 9),
  ev(13, 7, null, 9),
  ev(14, 4, 'c', null, 1),
  ev(15, 8, 'b', 10, 9),
  ev(16, 2, 'd', 11, 0),
];

const flowsOf = (
  stdout: string,
): Record<string, { state: string; planning?: { technique: string; reason: string } }> =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string }) => [f.flow, f]));

/** The views computed independently, straight from the NDJSON files. */
async function expected(dir: string) {
  const src = `read_json('${join(dir, 'data')}/*.json', columns = {id: 'BIGINT', user_id: 'BIGINT', kind: 'VARCHAR', ts: 'TIMESTAMPTZ', amount: 'DOUBLE'})`;
  return {
    hourly: await duck(
      `SELECT date_trunc('hour', ts) AS hour, kind, count(*) AS n, count(DISTINCT user_id) AS users, sum(amount) AS total FROM ${src} GROUP BY ALL ORDER BY hour NULLS FIRST, kind NULLS FIRST`,
    ),
    by_kind: await duck(
      `SELECT kind, max(amount) AS top, count(*) AS n FROM ${src} WHERE amount > 0 GROUP BY 1 HAVING count(*) > 1 ORDER BY kind NULLS FIRST`,
    ),
    top_kinds: await duck(
      `SELECT kind, count(*) AS n FROM ${src} GROUP BY kind ORDER BY n DESC, kind LIMIT 2`,
    ),
  };
}

async function actual(dir: string) {
  return {
    hourly: await readTable(tableDir(dir, 'hourly'), 'hour NULLS FIRST, kind NULLS FIRST'),
    by_kind: await readTable(tableDir(dir, 'by_kind'), 'kind NULLS FIRST'),
    top_kinds: await readTable(tableDir(dir, 'top_kinds'), 'n DESC, kind'),
  };
}

test('materialized views over a growing table refresh by groups (GROUP_AGGREGATE) with the rows a complete recompute gives', async () => {
  const dir = tmpDir('mv-groups');
  writeFiles(dir, { ...PIPELINE, 'data/1.json': ndjson(FIRST) });
  const first = await runCli(['run', dir, '--format', 'json']);
  assert.equal(first.code, 0, first.stderr);
  for (const v of ['hourly', 'by_kind', 'top_kinds']) {
    assert.equal(flowsOf(first.stdout)[v]?.planning?.technique, 'COMPLETE_RECOMPUTE', v);
  }
  assert.deepEqual(await actual(dir), await expected(dir));

  writeFiles(dir, { 'data/2.json': ndjson(SECOND) });
  const second = await runCli(['run', dir, '--format', 'json']);
  assert.equal(second.code, 0, second.stderr);
  const f = flowsOf(second.stdout);
  assert.equal(f.hourly?.planning?.technique, 'GROUP_AGGREGATE');
  assert.equal(f.by_kind?.planning?.technique, 'GROUP_AGGREGATE');
  assert.equal(f.top_kinds?.planning?.technique, 'COMPLETE_RECOMPUTE');
  assert.match(f.top_kinds?.planning?.reason ?? '', /LIMIT/);
  const got = await actual(dir);
  assert.deepEqual(got, await expected(dir));
  // the touched group (9, a) counts user 3 once, with both new users
  const nineA = got.hourly.find((r) => String(r.hour).includes('09:00') && r.kind === 'a');
  assert.deepEqual([Number(nineA?.n), Number(nineA?.users)], [3, 2]);

  // nothing new: NO_OP
  const third = await runCli(['run', dir, '--format', 'json']);
  assert.equal(flowsOf(third.stdout).hourly?.planning?.technique, 'NO_OP');

  // rows only in new hours: the earlier input files cannot hold their groups and are skipped by
  // their statistics; a new row with a NULL hour needs the files that have NULL hours
  writeFiles(dir, { 'data/3.json': ndjson([ev(21, 9, 'a', 20), ev(22, 9, 'b', 21, 2)]) });
  const fourth = await runCli(['run', dir, '--format', 'json']);
  assert.equal(fourth.code, 0, fourth.stderr);
  assert.equal(flowsOf(fourth.stdout).hourly?.planning?.technique, 'GROUP_AGGREGATE');
  assert.match(flowsOf(fourth.stdout).hourly?.planning?.reason ?? '', /2 of 3 input files skipped/);
  assert.deepEqual(await actual(dir), await expected(dir));
  writeFiles(dir, { 'data/4.json': ndjson([ev(31, 5, 'c', null, 4)]) });
  const fifth = await runCli(['run', dir, '--format', 'json']);
  assert.equal(fifth.code, 0, fifth.stderr);
  assert.match(flowsOf(fifth.stdout).hourly?.planning?.reason ?? '', /1 of 4 input files skipped/);
  assert.deepEqual(await actual(dir), await expected(dir));

  // an input that lost rows (full refresh rewrites it) is recomputed completely
  const reset = await runCli([
    'run',
    dir,
    '--full-refresh',
    'events',
    '--refresh',
    'hourly,by_kind,top_kinds',
    '--format',
    'json',
  ]);
  assert.equal(reset.code, 0, reset.stderr);
  const r = flowsOf(reset.stdout);
  assert.equal(r.hourly?.planning?.technique, 'COMPLETE_RECOMPUTE');
  assert.match(r.hourly?.planning?.reason ?? '', /updated or deleted/);
  assert.deepEqual(await actual(dir), await expected(dir));
});

test('a refresh by groups skips the row groups of a large input file that cannot hold a touched group', async () => {
  const dir = tmpDir('mv-row-groups');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: mv_row_groups\n',
    'transformations/events.sql': `
CREATE STREAMING TABLE events
AS SELECT * FROM STREAM read_files('data/*.json', format => 'json',
  schema => 'id BIGINT, user_id BIGINT, kind STRING, ts TIMESTAMP, amount DOUBLE');
CREATE MATERIALIZED VIEW hourly AS
SELECT date_trunc('hour', ts) AS hour, kind, count(*) AS n, count(DISTINCT user_id) AS users, sum(amount) AS total
FROM events GROUP BY date_trunc('hour', ts), kind;
`,
  });
  mkdirSync(join(dir, 'data'));
  // 300,000 events 10 s apart in time order (three Parquet row groups once stored); the first
  // hundred have no timestamp, so only the first row group has nulls.
  await duck(
    `COPY (SELECT i AS id, i % 1000 AS user_id, ['a', 'b', 'c'][i % 3 + 1] AS kind,
       CASE WHEN i < 100 THEN NULL ELSE TIMESTAMPTZ '2026-03-01 00:00:00+00' + to_seconds(i * 10) END AS ts,
       (i % 7)::DOUBLE AS amount
     FROM range(300000) AS r(i)) TO '${join(dir, 'data', '1.json')}' (FORMAT JSON)`,
  );
  const run = async () => {
    const r = await runCli(['run', dir, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const hourly = flowsOf(r.stdout).hourly;
    assert.deepEqual(
      await readTable(tableDir(dir, 'hourly'), 'hour NULLS FIRST, kind NULLS FIRST'),
      await expectedHourly(dir),
    );
    return hourly?.planning;
  };
  assert.equal((await run())?.technique, 'COMPLETE_RECOMPUTE');
  // the last hour and a new one: only the last row group of the large file is read
  // (the last event is at 2026-03-01 + 2,999,990 s = 2026-04-04 17:19:50)
  writeFiles(dir, {
    'data/2.json': ndjson([
      { id: 300001, user_id: 1, kind: 'a', ts: '2026-04-04T17:30:00Z', amount: 1 },
      { id: 300002, user_id: 2, kind: 'c', ts: '2026-04-04T18:00:00Z', amount: 1 },
    ]),
  });
  const second = await run();
  assert.equal(second?.technique, 'GROUP_AGGREGATE');
  assert.match(second?.reason ?? '', /2 of 4 row groups in the files read skipped/);
  // an hour in the middle of the large file, and a NULL hour (the first row group has nulls)
  writeFiles(dir, {
    'data/3.json': ndjson([
      { id: 300003, user_id: 2, kind: 'b', ts: '2026-03-15T12:10:00Z', amount: 2 },
      { id: 300004, user_id: 3, kind: 'a', ts: null, amount: 3 },
    ]),
  });
  const third = await run();
  assert.equal(third?.technique, 'GROUP_AGGREGATE');
  assert.match(third?.reason ?? '', /1 of 3 input files and 1 of 4 row groups in the files read skipped/);
});

async function expectedHourly(dir: string) {
  const src = `read_json('${join(dir, 'data')}/*.json', columns = {id: 'BIGINT', user_id: 'BIGINT', kind: 'VARCHAR', ts: 'TIMESTAMPTZ', amount: 'DOUBLE'})`;
  return duck(
    `SELECT date_trunc('hour', ts) AS hour, kind, count(*) AS n, count(DISTINCT user_id) AS users, sum(amount) AS total FROM ${src} GROUP BY ALL ORDER BY hour NULLS FIRST, kind NULLS FIRST`,
  );
}
