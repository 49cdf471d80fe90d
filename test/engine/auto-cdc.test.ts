import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { query as chdbQuery } from 'chdb';
import { maintainPipeline, runPipeline, type UpdateResult } from '../../src/index.ts';
import { vacuum } from '../../src/storage/index.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { rng } from '../helpers/random.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** One change event of the test feed: `seq` is unique per key; `op` D deletes. */
type Ev = {
  readonly id: number | null;
  readonly name: string | null;
  readonly amount: number | null;
  readonly seq: number;
  readonly op: 'U' | 'D' | 'T';
};

type Row = Record<string, unknown>;

function feed(rand: () => number, n: number, keys: number, truncates = false): Ev[] {
  const out: Ev[] = [];
  for (let seq = 1; seq <= n; seq++) {
    if (truncates && rand() < 0.04) {
      out.push({ id: null, name: null, amount: null, seq, op: 'T' });
      continue;
    }
    const id = 1 + Math.floor(rand() * keys);
    const del = rand() < 0.2;
    out.push({
      id,
      name: del ? null : rand() < 0.2 ? null : ['ann', 'bob', 'cy'][Math.floor(rand() * 3)]!,
      amount: del ? null : rand() < 0.3 ? null : Math.floor(rand() * 4),
      seq,
      op: del ? 'D' : 'U',
    });
  }
  return out;
}

function shuffle<T>(rand: () => number, xs: readonly T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Splits into `parts` non-empty consecutive chunks at random points. */
function split<T>(rand: () => number, xs: readonly T[], parts: number): T[][] {
  const cuts = new Set<number>();
  while (cuts.size < parts - 1) cuts.add(1 + Math.floor(rand() * (xs.length - 1)));
  const at = [0, ...[...cuts].sort((a, b) => a - b), xs.length];
  return at.slice(1).map((end, i) => xs.slice(at[i], end));
}

/** Oracle, SCD type 1: the events replayed one by one in sequence order. */
function scd1(events: readonly Ev[], ignoreNulls: boolean): Row[] {
  const rows = new Map<number, Row>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.op === 'T') rows.clear();
    else if (e.op === 'D') rows.delete(e.id!);
    else {
      const old = rows.get(e.id!);
      rows.set(e.id!, {
        id: e.id,
        name: ignoreNulls && old && e.name === null ? old.name : e.name,
        amount: ignoreNulls && old && e.amount === null ? old.amount : e.amount,
        seq: e.seq,
      });
    }
  }
  return [...rows.values()].sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Oracle, SCD type 2: versions [start, end) opened when a tracked column changes, closed by
 * deletes; with `ignoreNulls`, a NULL of an update keeps the value of the row before it (not
 * across a delete).
 */
function scd2(
  events: readonly Ev[],
  tracked: readonly ('name' | 'amount' | 'seq')[],
  ignoreNulls = false,
): Row[] {
  const versions: Row[] = [];
  const open = new Map<number, Row>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const cur = open.get(e.id!);
    if (e.op === 'D') {
      if (cur) cur.__END_AT = e.seq;
      open.delete(e.id!);
      continue;
    }
    const keep = (c: 'name' | 'amount') => (ignoreNulls && e[c] === null && cur ? cur[c] : e[c]);
    const next = { id: e.id, name: keep('name'), amount: keep('amount'), seq: e.seq };
    if (cur && tracked.every((c) => cur[c] === next[c])) {
      Object.assign(cur, next);
      continue;
    }
    if (cur) cur.__END_AT = e.seq;
    const v: Row = { ...next, __START_AT: e.seq, __END_AT: null };
    versions.push(v);
    open.set(e.id!, v);
  }
  return versions.sort((a, b) => Number(a.id) - Number(b.id) || Number(a.__START_AT) - Number(b.__START_AT));
}

function normalize(rows: readonly Row[], columns: readonly string[]): Row[] {
  return rows.map((r) =>
    Object.fromEntries(
      columns.map((c) => [
        c,
        r[c] === null || r[c] === undefined
          ? null
          : typeof r[c] === 'string' && c !== 'name'
            ? Number(r[c])
            : r[c],
      ]),
    ),
  );
}

function chdb(path: string, order: string): Row[] {
  return chdbQuery(`SELECT * FROM deltaLakeLocal('${path}') ORDER BY ${order}`, 'JSONEachRow')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
}

const SPEC = 'name: cdc\nlibraries:\n  - glob:\n      include: transformations/**\n';
const EVENTS = `CREATE STREAMING TABLE events AS SELECT * FROM STREAM read_files('data', format => 'json',
  schemaHints => 'id INT, name STRING, amount INT, seq BIGINT, op STRING');
`;

async function run(dir: string): Promise<UpdateResult> {
  const outcome = await runPipeline(dir, {});
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') throw new Error('unreachable');
  return outcome.result;
}

function failures(r: UpdateResult): string[] {
  return r.flows
    .filter((f) => f.state === 'FAILED')
    .map((f) => `${f.flow}: ${f.error?.code} ${f.error?.message}`);
}

test('SCD type 1 (deletes, truncates, IGNORE NULL UPDATES) equals the in-order replay of the events, whatever the batches and the arrival order', async () => {
  for (const seed of [1, 2, 5]) {
    const rand = rng(seed);
    const events = feed(rand, 60, 6, true);
    assert.ok(
      events.some((e) => e.op === 'T') && events.some((e) => e.op === 'D'),
      `seed ${seed} truncates and deletes`,
    );
    // Duplicates (re-deliveries) anywhere, then any arrival order, in random batches.
    const delivered = shuffle(rand, [...events, ...events.filter(() => rand() < 0.2)]);
    const batches = split(rand, delivered, 4);
    const dir = tmpDir('cdc-scd1');
    writeFiles(dir, {
      'spark-pipeline.yml': SPEC,
      'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE plain TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true', 'delta.enableDeletionVectors' = 'false');
CREATE FLOW plain_cdc AS AUTO CDC INTO plain FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' APPLY AS TRUNCATE WHEN op = 'T' SEQUENCE BY seq COLUMNS * EXCEPT (op, _rescued_data);
CREATE STREAMING TABLE vectors TBLPROPERTIES ('delta.enableDeletionVectors' = 'true', 'delta.enableChangeDataFeed' = 'true');
CREATE FLOW vectors_cdc AS AUTO CDC INTO vectors FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' APPLY AS TRUNCATE WHEN op = 'T' SEQUENCE BY seq COLUMNS * EXCEPT (op, _rescued_data);
CREATE STREAMING TABLE partial;
APPLY CHANGES INTO LIVE.partial FROM STREAM(events) KEYS (id) IGNORE NULL UPDATES
  APPLY AS DELETE WHEN op = 'D' APPLY AS TRUNCATE WHEN op = 'T' SEQUENCE BY seq COLUMNS id, name, amount, seq STORED AS SCD TYPE 1;
`,
    });
    let upserted = 0;
    for (const [i, b] of batches.entries()) {
      writeFiles(dir, { [`data/${i}.json`]: ndjson(b) });
      const r = await run(dir);
      assert.deepEqual(failures(r), []);
      upserted += r.flows.find((f) => f.flow === 'plain_cdc')?.metrics.num_upserted_rows ?? 0;
    }
    const cols = ['id', 'name', 'amount', 'seq'];
    const want = scd1(events, false);
    assert.deepEqual(normalize(await readTable(tableDir(dir, 'plain'), 'id'), cols), want, `seed ${seed}`);
    assert.deepEqual(normalize(chdb(tableDir(dir, 'plain'), 'id'), cols), want, `seed ${seed} (chdb)`);
    assert.deepEqual(normalize(await readTable(tableDir(dir, 'partial'), 'id'), cols), scd1(events, true));
    // Copy-on-write when the table turns deletion vectors off: no vector files.
    assert.ok(!readdirSync(tableDir(dir, 'plain')).some((f) => f.startsWith('deletion_vector_')));
    // With deletion vectors, changed rows are marked, not rewritten: the same rows for both readers.
    assert.deepEqual(
      normalize(await readTable(tableDir(dir, 'vectors'), 'id'), cols),
      want,
      `seed ${seed} (DV)`,
    );
    assert.deepEqual(normalize(chdb(tableDir(dir, 'vectors'), 'id'), cols), want, `seed ${seed} (DV, chdb)`);

    assert.ok(upserted > 0);
  }
});

test('SCD type 2 histories equal the in-order replay whatever the batches and the arrival order: late events split, open and close versions', async () => {
  for (const seed of [3, 4, 6]) {
    const rand = rng(seed);
    const events = feed(rand, 50, 5);
    // Any arrival order across batches, with re-deliveries (also in later batches).
    const delivered = shuffle(rand, [...events, ...events.filter(() => rand() < 0.25)]);
    const batches = split(rand, delivered, 4);
    const dir = tmpDir('cdc-scd2');
    writeFiles(dir, {
      'spark-pipeline.yml': SPEC,
      'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE hist_all TBLPROPERTIES ('delta.enableDeletionVectors' = 'false');
CREATE FLOW hist_all_cdc AS AUTO CDC INTO hist_all FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS * EXCEPT (op, _rescued_data) STORED AS SCD TYPE 2;
CREATE STREAMING TABLE hist_name
  FLOW AUTO CDC FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq
  COLUMNS * EXCEPT (op, _rescued_data) STORED AS SCD TYPE 2 TRACK HISTORY ON (name);
CREATE STREAMING TABLE hist_fill TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true', 'delta.enableDeletionVectors' = 'true');
APPLY CHANGES INTO hist_fill FROM STREAM(events) KEYS (id) IGNORE NULL UPDATES APPLY AS DELETE WHEN op = 'D'
  SEQUENCE BY seq COLUMNS id, name, amount, seq STORED AS SCD TYPE 2 TRACK HISTORY ON * EXCEPT (amount, seq);
`,
    });
    let late = 0;
    let applied = -Infinity;
    for (const [i, b] of batches.entries()) {
      late += b.filter((e) => e.seq < applied).length;
      applied = Math.max(applied, ...b.map((e) => e.seq));
      writeFiles(dir, { [`data/${i}.json`]: ndjson(b) });
      assert.deepEqual(failures(await run(dir)), []);
    }
    assert.ok(late > 0, `seed ${seed} delivers events older than earlier batches`);
    const cols = ['id', 'name', 'amount', 'seq', '__START_AT', '__END_AT'];
    const order = 'id, __START_AT';
    assert.deepEqual(
      normalize(await readTable(tableDir(dir, 'hist_all'), order), cols),
      normalize(scd2(events, ['name', 'amount', 'seq']), cols),
      `seed ${seed}`,
    );
    assert.deepEqual(
      normalize(chdb(tableDir(dir, 'hist_name'), order), cols),
      normalize(scd2(events, ['name']), cols),
      `seed ${seed} (chdb)`,
    );
    assert.deepEqual(
      normalize(chdb(tableDir(dir, 'hist_fill'), order), cols),
      normalize(scd2(events, ['name'], true), cols),
      `seed ${seed} (IGNORE NULL UPDATES)`,
    );
  }
});

test('AUTO CDC refuses what it cannot order (NULL sequence, NULL key, ties) and places an SCD 2 event older than applied ones into the history', async () => {
  const dir = tmpDir('cdc-refusals');
  const flows = ['null_seq', 'null_key', 'tie', 'late', 'nested'];
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': flows
      .map(
        (f) => `CREATE STREAMING TABLE ${f}_src AS SELECT * FROM STREAM read_files('${f}', format => 'json',
  schemaHints => 'id INT, name STRING, seq BIGINT');
CREATE STREAMING TABLE ${f};
APPLY CHANGES INTO ${f} FROM STREAM(${f}_src) KEYS (id)${f === 'nested' ? ' IGNORE NULL UPDATES' : ''} SEQUENCE BY seq COLUMNS * EXCEPT (_rescued_data)${f === 'late' ? ' STORED AS SCD TYPE 2' : ''};`,
      )
      .join('\n'),
    'null_seq/a.json': ndjson([{ id: 1, name: 'a', seq: null }]),
    'null_key/a.json': ndjson([{ id: null, name: 'a', seq: 1 }]),
    'tie/a.json': ndjson([
      { id: 1, name: 'a', seq: 1 },
      { id: 1, name: 'b', seq: 1 },
    ]),
    'late/a.json': ndjson([{ id: 1, name: 'a', seq: 5 }]),
    'nested/a.json': ndjson([{ id: 1, name: 'a', seq: 1, address: { city: 'x', zip: null } }]),
  });
  const first = await run(dir);
  const code = (r: UpdateResult, f: string) => r.flows.find((x) => x.flow === f)?.error?.code;
  assert.equal(code(first, 'null_seq'), 'AUTO_CDC_NULL_SEQUENCE');
  assert.equal(code(first, 'null_key'), 'AUTO_CDC_NULL_KEY');
  assert.equal(code(first, 'tie'), 'AUTO_CDC_SEQUENCE_TIE');
  assert.equal(code(first, 'late'), undefined);
  assert.equal(code(first, 'nested'), 'UNSUPPORTED_SQL_SYNTAX');
  writeFiles(dir, { 'late/b.json': ndjson([{ id: 1, name: 'b', seq: 3 }]) });
  assert.equal(code(await run(dir), 'late'), undefined);
  // The late event opens the version before the one already applied, which it ends.
  assert.deepEqual(
    (await readTable(tableDir(dir, 'late'), '__START_AT')).map((r) => [r.name, r.__START_AT, r.__END_AT]),
    [
      ['b', '3', '5'],
      ['a', '5', null],
    ],
  );
});

test('a plain streaming read of an AUTO CDC target fails with STREAMING_SOURCE_NOT_APPEND_ONLY unless skipChangeCommits', async () => {
  const dir = tmpDir('cdc-downstream');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE customers;
APPLY CHANGES INTO customers FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq
  COLUMNS id, name, seq;
CREATE STREAMING TABLE copied AS SELECT * FROM STREAM(customers);
CREATE MATERIALIZED VIEW current_names AS SELECT count(*) AS n FROM customers;
`,
    'data/a.json': ndjson([{ id: 1, name: 'a', amount: 1, seq: 1, op: 'U' }]),
  });
  const first = await run(dir);
  assert.deepEqual(failures(first), []);
  writeFiles(dir, { 'data/b.json': ndjson([{ id: 1, name: 'b', amount: 1, seq: 2, op: 'U' }]) });
  const second = await run(dir);
  assert.equal(
    second.flows.find((f) => f.flow === 'copied')?.error?.code,
    'STREAMING_SOURCE_NOT_APPEND_ONLY',
  );
  assert.equal(second.flows.find((f) => f.flow === 'current_names')?.state, 'COMPLETED');
  const metrics = second.flows.find((f) => f.flow === 'customers')?.metrics;
  assert.deepEqual([metrics?.num_upserted_rows, metrics?.num_deleted_rows], [1, 0]);
});

test('SEQUENCE BY struct(…) orders events by its fields in turn; SCD 2 intervals take the struct type', async () => {
  const dir = tmpDir('cdc-struct');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `CREATE STREAMING TABLE ev AS SELECT * FROM STREAM read_files('data', format => 'json',
  schemaHints => 'id INT, name STRING, day DATE, n INT');
CREATE STREAMING TABLE cur;
APPLY CHANGES INTO cur FROM STREAM(ev) KEYS (id) SEQUENCE BY struct(day, n) COLUMNS id, name;
CREATE STREAMING TABLE hist;
APPLY CHANGES INTO hist FROM STREAM(ev) KEYS (id) SEQUENCE BY struct(day, n) COLUMNS id, name STORED AS SCD TYPE 2;
`,
    'data/a.json': ndjson([
      { id: 1, name: 'late-day-first', day: '2024-01-02', n: 1 },
      { id: 1, name: 'early-day-high-n', day: '2024-01-01', n: 9 },
      { id: 1, name: 'last', day: '2024-01-02', n: 2 },
    ]),
  });
  assert.deepEqual(failures(await run(dir)), []);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'cur'), 'id')).map((r) => r.name),
    ['last'],
  );
  const hist = await readTable(tableDir(dir, 'hist'), '__START_AT');
  assert.deepEqual(
    hist.map((r) => [r.name, JSON.stringify(r.__START_AT), JSON.stringify(r.__END_AT)]),
    [
      ['early-day-high-n', '{"day":"2024-01-01","n":9}', '{"day":"2024-01-02","n":1}'],
      ['late-day-first', '{"day":"2024-01-02","n":1}', '{"day":"2024-01-02","n":2}'],
      ['last', '{"day":"2024-01-02","n":2}', 'null'],
    ],
  );
});

test('the flow state table (sequences and tombstones) is maintained with the tables, and keeps working after compaction', async () => {
  const dir = tmpDir('cdc-state-maintenance');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE t;
APPLY CHANGES INTO t FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
`,
  });
  // Three batches whose keys fall in separate files of the state table.
  const batches: Ev[][] = [
    [{ id: 1, name: 'a', amount: null, seq: 1, op: 'U' }],
    [{ id: 100, name: 'b', amount: null, seq: 2, op: 'U' }],
    [{ id: 1, name: null, amount: null, seq: 3, op: 'D' }],
  ];
  for (const [i, b] of batches.entries()) {
    writeFiles(dir, { [`data/${i}.json`]: ndjson(b) });
    assert.deepEqual(failures(await run(dir)), []);
  }
  const report = await maintainPipeline(dir);
  const state = report.tables.find((x) => x.table === 't/cdc_state');
  assert.ok(state, `maintained: ${report.tables.map((x) => x.table).join(', ')}`);
  assert.ok((state.compaction?.filesRemoved ?? 0) >= 2, JSON.stringify(state.compaction));
  // A late update older than the delete still finds its tombstone after compaction.
  writeFiles(dir, { 'data/late.json': ndjson([{ id: 1, name: 'zombie', amount: null, seq: 2, op: 'U' }]) });
  assert.deepEqual(failures(await run(dir)), []);
  assert.deepEqual(
    (await readTable(tableDir(dir, 't'), 'id')).map((r) => [r.id, r.name]),
    [[100, 'b']],
  );
});

test('a full refresh of an AUTO CDC target replays every event from a fresh state', async () => {
  const dir = tmpDir('cdc-full-refresh');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE t;
APPLY CHANGES INTO t FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
`,
    'data/a.json': ndjson([
      { id: 1, name: 'a', seq: 1, op: 'U' },
      { id: 2, name: 'b', seq: 2, op: 'U' },
    ]),
  });
  assert.deepEqual(failures(await run(dir)), []);
  writeFiles(dir, { 'data/b.json': ndjson([{ id: 1, name: null, seq: 3, op: 'D' }]) });
  assert.deepEqual(failures(await run(dir)), []);
  const rows = async () => (await readTable(tableDir(dir, 't'), 'id')).map((r) => [r.id, r.name]);
  assert.deepEqual(await rows(), [[2, 'b']]);
  const outcome = await runPipeline(dir, { fullRefresh: ['t', 'events'] });
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind === 'ran') assert.deepEqual(failures(outcome.result), []);
  assert.deepEqual(await rows(), [[2, 'b']]);
});

test('an AUTO CDC target has deletion vectors unless it turns them off: changed rows are marked in vectors and their files stay', async () => {
  const dir = tmpDir('cdc-dv');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE t;
APPLY CHANGES INTO t FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
`,
    'data/0.json': ndjson([1, 2, 3, 4].map((id) => ({ id, name: `v${id}`, seq: id, op: 'U' }))),
  });
  assert.deepEqual(failures(await run(dir)), []);
  const files = () => readdirSync(tableDir(dir, 't')).filter((f) => f.endsWith('.parquet'));
  const first = files();
  writeFiles(dir, {
    'data/1.json': ndjson([
      { id: 2, name: 'changed', seq: 10, op: 'U' },
      { id: 3, name: null, seq: 11, op: 'D' },
    ]),
  });
  assert.deepEqual(failures(await run(dir)), []);
  const want = [
    [1, 'v1'],
    [2, 'changed'],
    [4, 'v4'],
  ];
  const rows = (rs: Row[]) => rs.map((r) => [Number(r.id), r.name]);
  assert.deepEqual(rows(await readTable(tableDir(dir, 't'), 'id')), want);
  assert.deepEqual(rows(chdb(tableDir(dir, 't'), 'id')), want);
  // The first file is still live (with a vector), and only the updated row was written anew.
  assert.ok(readdirSync(tableDir(dir, 't')).some((f) => f.startsWith('deletion_vector_')));
  assert.equal(files().length, first.length + 1);
  // Vacuum keeps the vector of a live file, however old.
  const later = { retentionMs: 0, now: Date.now() + 3_600_000 };
  await vacuum(tableDir(dir, 't'), later);
  assert.deepEqual(rows(await readTable(tableDir(dir, 't'), 'id')), want);
  assert.deepEqual(rows(chdb(tableDir(dir, 't'), 'id')), want);
  // Compaction reads the files with their vectors applied; after it, vacuum may remove them all.
  const report = await maintainPipeline(dir);
  assert.ok(
    (report.tables.find((x) => x.table === 't')?.compaction?.filesRemoved ?? 0) >= 2,
    JSON.stringify(report),
  );
  await vacuum(tableDir(dir, 't'), later);
  assert.ok(!readdirSync(tableDir(dir, 't')).some((f) => f.startsWith('deletion_vector_')));
  assert.deepEqual(rows(await readTable(tableDir(dir, 't'), 'id')), want);
  assert.deepEqual(rows(chdb(tableDir(dir, 't'), 'id')), want);
});
