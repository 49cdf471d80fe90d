// Example benchmark (`npm run bench -- example [--reps N] [--big] [--events N]`): the bundled
// examples/events pipeline on generated events (2,000,000 ≈ 400 MB NDJSON in 20 files; --big:
// 20,000,000 in 100 files), cold, next to — in the same run — two baselines doing the same reads
// and writes, each a child process measured the same way (wall time incl. startup, peak RSS):
//   (a) raw DuckDB SQL: one connection running COPY statements (bronze with the explicit schema,
//       TRY_CAST + a rescued-data column; silver; quarantine_events; validated_events and its
//       quarantine; hourly stats), all as zstd Parquet, plus the expectation counts;
//   (b) a hand-written Node.js script: readline + JSON.parse per line, the rules in JS; no Parquet
//       writer is at hand, so it writes NDJSON (the hourly stats as CSV).
// Then: rerun with no new data, rerun with 1 % new data. Data lives under bench/.data/.
// The baselines run as `node --import tsx bench/example.ts --baseline duckdb|node <data> <out>`.
import {
  cpSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  type WriteStream,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TYPES = new Set(['click', 'view', 'purchase', 'signup']);
const TYPE_LIST = "('click', 'view', 'purchase', 'signup')";

/** Row counts every implementation reports, to check they did the same work. */
interface Counts {
  bronze: number;
  silver: number;
  quarantine_events: number;
  validated_events: number;
  validated_events_quarantine: number;
  hourly_stats: number;
  ms: number;
}

// ---------------------------------------------------------------------------------------------
// (a) raw DuckDB SQL

async function duckdbBaseline(dataDir: string, out: string): Promise<Counts> {
  const t0 = performance.now();
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const q = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
  await q(`SET TimeZone = 'UTC'`);
  const files = readdirSync(dataDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => `'${join(dataDir, f)}'`);
  const p = (name: string) => `'${join(out, `${name}.parquet`)}'`;
  const copy = async (name: string, select: string) =>
    Number((await q(`COPY (${select}) TO ${p(name)} (FORMAT parquet, COMPRESSION zstd)`))[0]?.Count ?? 0);
  // The explicit schema: scalars read as text and TRY_CAST, so a value that does not fit is rescued.
  const read =
    `read_json([${files.join(', ')}], format = 'newline_delimited', filename = '_source_file', columns = {` +
    `event_id: 'VARCHAR', user_id: 'VARCHAR', event_type: 'VARCHAR', event_timestamp: 'VARCHAR', amount: 'VARCHAR', ` +
    `properties: 'STRUCT(page VARCHAR, referrer VARCHAR)'})`;
  const bad = (c: string, t: string) => `(${c} IS NOT NULL AND TRY_CAST(${c} AS ${t}) IS NULL)`;
  const bronze = await copy(
    'bronze_events',
    `SELECT event_id, TRY_CAST(user_id AS BIGINT) AS user_id, event_type, TRY_CAST(event_timestamp AS TIMESTAMP) AS event_timestamp, ` +
      `TRY_CAST(amount AS DOUBLE) AS amount, properties, ` +
      `CASE WHEN ${bad('user_id', 'BIGINT')} OR ${bad('event_timestamp', 'TIMESTAMP')} OR ${bad('amount', 'DOUBLE')} THEN ` +
      `json_object('user_id', CASE WHEN ${bad('user_id', 'BIGINT')} THEN user_id END, ` +
      `'event_timestamp', CASE WHEN ${bad('event_timestamp', 'TIMESTAMP')} THEN event_timestamp END, ` +
      `'amount', CASE WHEN ${bad('amount', 'DOUBLE')} THEN amount END)::VARCHAR END AS _rescued_data, _source_file FROM ${read}`,
  );
  const b = `read_parquet(${p('bronze_events')})`;
  // Expectation counts (warn rules are counted, the FAIL rule stops everything).
  const [e] = await q(
    `SELECT count(*) FILTER (_rescued_data IS NOT NULL) AS rescued, count(*) FILTER (event_id IS NULL) AS no_id, ` +
      `count(*) FILTER (NOT coalesce(event_type IN ${TYPE_LIST}, false)) AS bad_type, count(*) FILTER (user_id IS NULL) AS no_user, ` +
      `count(*) FILTER (NOT coalesce(event_timestamp <= current_timestamp, false)) AS future FROM ${b}`,
  );
  if (Number(e!.future) > 0) throw new Error('valid_timestamp failed');
  const silver = await copy(
    'silver_events',
    `SELECT event_id, user_id, event_type, event_timestamp, properties, current_timestamp AS processed_at FROM ${b} WHERE user_id IS NOT NULL`,
  );
  const rule = `(event_id IS NULL OR NOT event_type IN ${TYPE_LIST} OR user_id IS NULL)`;
  const quarantine = await copy(
    'quarantine_events',
    `SELECT *, CASE WHEN event_id IS NULL THEN 'NULL_EVENT_ID' WHEN NOT event_type IN ${TYPE_LIST} THEN 'INVALID_EVENT_TYPE' ` +
      `WHEN user_id IS NULL THEN 'NULL_USER_ID' ELSE 'UNKNOWN' END AS quarantine_reason, current_timestamp AS quarantined_at FROM ${b} WHERE ${rule}`,
  );
  const ok1 = 'coalesce(event_id IS NOT NULL, false)';
  const ok2 = `coalesce(event_type IN ${TYPE_LIST}, false)`;
  const ok3 = 'coalesce(user_id IS NOT NULL, false)';
  const validated = await copy(
    'validated_events',
    `SELECT event_id, user_id, event_type, event_timestamp, properties FROM ${b} WHERE ${ok1} AND ${ok2} AND ${ok3}`,
  );
  const validatedQ = await copy(
    'validated_events_quarantine',
    `SELECT event_id, user_id, event_type, event_timestamp, properties, ` +
      `list_filter([CASE WHEN NOT ${ok1} THEN 'event_id_not_null' END, CASE WHEN NOT ${ok2} THEN 'valid_event_type' END, ` +
      `CASE WHEN NOT ${ok3} THEN 'valid_user_id' END], x -> x IS NOT NULL) AS _violations, 0::BIGINT AS _batch_id, ` +
      `'bronze_events' AS _source, current_timestamp AS _quarantined_at FROM ${b} WHERE NOT (${ok1} AND ${ok2} AND ${ok3})`,
  );
  const hourly = await copy(
    'silver_event_hourly_stats',
    `SELECT date_trunc('hour', event_timestamp) AS event_hour, event_type, count(*) AS event_count, count(DISTINCT user_id) AS unique_users ` +
      `FROM read_parquet(${p('silver_events')}) GROUP BY 1, 2`,
  );
  conn.closeSync();
  return {
    bronze,
    silver,
    quarantine_events: quarantine,
    validated_events: validated,
    validated_events_quarantine: validatedQ,
    hourly_stats: hourly,
    ms: performance.now() - t0,
  };
}

// ---------------------------------------------------------------------------------------------
// (b) hand-written Node.js

/** A line writer that batches writes and respects back-pressure. */
class Lines {
  private buf: string[] = [];
  readonly stream: WriteStream;
  count = 0;
  constructor(path: string) {
    this.stream = createWriteStream(path);
  }
  async push(line: string): Promise<void> {
    this.buf.push(line);
    this.count++;
    if (this.buf.length >= 5000) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const ok = this.stream.write(`${this.buf.join('\n')}\n`);
    this.buf = [];
    if (!ok) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((r, j) => this.stream.end((e?: Error) => (e ? j(e) : r())));
  }
}

const TS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

async function nodeBaseline(dataDir: string, out: string): Promise<Counts> {
  const t0 = performance.now();
  const now = Date.now();
  const w = (n: string) => new Lines(join(out, `${n}.ndjson`));
  const bronze = w('bronze_events');
  const silver = w('silver_events');
  const quarantine = w('quarantine_events');
  const validated = w('validated_events');
  const validatedQ = w('validated_events_quarantine');
  const hourly = new Map<string, { count: number; users: Set<number> }>();
  const warn = { rescued: 0, no_id: 0, bad_type: 0 };
  const files = readdirSync(dataDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  for (const f of files) {
    const source = join(dataDir, f);
    const rl = createInterface({ input: createReadStream(source), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of rl) {
      if (line.trim() === '') continue;
      let o: Record<string, unknown> | null = null;
      try {
        const v = JSON.parse(line);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) o = v;
      } catch {
        // a malformed line: rescued whole
      }
      const rescued: Record<string, unknown> = {};
      const str = (k: string) => {
        const v = o?.[k];
        return v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
      };
      const event_id = str('event_id');
      const event_type = str('event_type');
      let user_id: number | null = null;
      const u = o?.user_id;
      if (typeof u === 'number' && Number.isSafeInteger(u)) user_id = u;
      else if (typeof u === 'string' && /^[+-]?\d+$/.test(u.trim())) user_id = Number(u);
      else if (u !== undefined && u !== null) rescued.user_id = u;
      let ts: number | null = null;
      const t = o?.event_timestamp;
      if (typeof t === 'string' && TS.test(t)) ts = Date.parse(t);
      else if (t !== undefined && t !== null) rescued.event_timestamp = t;
      let amount: number | null = null;
      const a = o?.amount;
      if (typeof a === 'number') amount = a;
      else if (a !== undefined && a !== null) rescued.amount = a;
      const p = o?.properties as { page?: unknown; referrer?: unknown } | undefined;
      const properties =
        p && typeof p === 'object'
          ? {
              page: p.page == null ? null : String(p.page),
              referrer: p.referrer == null ? null : String(p.referrer),
            }
          : null;
      const _rescued_data =
        o === null ? line : Object.keys(rescued).length > 0 ? JSON.stringify(rescued) : null;
      const timestamp = ts === null ? null : new Date(ts).toISOString();
      const row = {
        event_id,
        user_id,
        event_type,
        event_timestamp: timestamp,
        amount,
        properties,
        _rescued_data,
        _source_file: source,
      };
      await bronze.push(JSON.stringify(row));
      if (_rescued_data !== null) warn.rescued++;
      // silver_events
      if (!(ts !== null && ts <= now)) throw new Error('valid_timestamp failed');
      if (event_id === null) warn.no_id++;
      const typeOk = event_type !== null && TYPES.has(event_type);
      if (!typeOk) warn.bad_type++;
      const nowIso = new Date().toISOString();
      if (user_id !== null) {
        await silver.push(
          JSON.stringify({
            event_id,
            user_id,
            event_type,
            event_timestamp: timestamp,
            properties,
            processed_at: nowIso,
          }),
        );
        const key = `${timestamp!.slice(0, 13)}:00:00\t${event_type}`;
        let h = hourly.get(key);
        if (!h) {
          h = { count: 0, users: new Set() };
          hourly.set(key, h);
        }
        h.count++;
        h.users.add(user_id);
      }
      // quarantine_events (hand-written: NULL event_type is not caught, as in SQL's NOT NULL IN …)
      const badType = event_type !== null && !TYPES.has(event_type);
      if (event_id === null || badType || user_id === null) {
        const reason = event_id === null ? 'NULL_EVENT_ID' : badType ? 'INVALID_EVENT_TYPE' : 'NULL_USER_ID';
        await quarantine.push(JSON.stringify({ ...row, quarantine_reason: reason, quarantined_at: nowIso }));
      }
      // validated_events / validated_events_quarantine
      const violations: string[] = [];
      if (event_id === null) violations.push('event_id_not_null');
      if (!typeOk) violations.push('valid_event_type');
      if (user_id === null) violations.push('valid_user_id');
      const v = { event_id, user_id, event_type, event_timestamp: timestamp, properties };
      if (violations.length === 0) await validated.push(JSON.stringify(v));
      else
        await validatedQ.push(
          JSON.stringify({
            ...v,
            _violations: violations,
            _batch_id: 0,
            _source: 'bronze_events',
            _quarantined_at: nowIso,
          }),
        );
    }
  }
  const stats = new Lines(join(out, 'silver_event_hourly_stats.csv'));
  await stats.push('event_hour,event_type,event_count,unique_users');
  for (const [k, h] of hourly) await stats.push(`${k.replace('\t', ',')},${h.count},${h.users.size}`);
  for (const l of [bronze, silver, quarantine, validated, validatedQ, stats]) await l.close();
  return {
    bronze: bronze.count,
    silver: silver.count,
    quarantine_events: quarantine.count,
    validated_events: validated.count,
    validated_events_quarantine: validatedQ.count,
    hourly_stats: hourly.size,
    ms: performance.now() - t0,
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

function flagValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const E = await import('./engine.ts');
  const { runPipeline } = await import('../src/index.ts');
  const { generateEvents } = await import('../scripts/generate-events.ts');
  const big = args.includes('--big');
  const events = Number(flagValue(args, '--events') ?? (big ? 20_000_000 : 2_000_000));
  const nFiles = big ? 100 : 20;
  const reps = Number(flagValue(args, '--reps') ?? (big ? 1 : 3));
  const skipBaselines = args.includes('--no-baselines');
  const dir = join(E.DATA, `example-${events}`);
  const dataDir = join(dir, 'data', 'events');
  const src = join(E.ROOT, 'examples', 'events');
  mkdirSync(dir, { recursive: true });
  cpSync(join(src, 'spark-pipeline.yml'), join(dir, 'spark-pipeline.yml'));
  rmSync(join(dir, 'transformations'), { recursive: true, force: true });
  cpSync(join(src, 'transformations'), join(dir, 'transformations'), { recursive: true });
  await E.ensureEvents(dataDir, events, nFiles);
  const newEvents = Math.round(events / 100);
  const extraName = `events-${String(events + 1).padStart(9, '0')}.json`;
  const self = fileURLToPath(import.meta.url);
  console.log(`example benchmark — ${events.toLocaleString('en-US')} events, ${reps} rep(s), medians`);

  const m: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    m[k] ??= [];
    m[k].push(v);
  };
  let lastCold: Awaited<ReturnType<typeof E.sluiceRun>>['result'] | undefined;
  let lastIncr: typeof lastCold;
  const counts: Record<string, Counts> = {};
  for (let rep = 0; rep < reps; rep++) {
    rmSync(join(dataDir, extraName), { force: true });
    rmSync(join(dir, '.sluice'), { recursive: true, force: true });
    // sluice cold
    const cold = await E.sluiceRun(dir);
    add('sluice.wall', cold.wallMs);
    add('sluice.update', E.updateMs(cold.result));
    add('sluice.rss', cold.peakRss);
    lastCold = cold.result;
    const line = [`rep ${rep + 1}: sluice cold ${E.secs(cold.wallMs)} (${E.mib(cold.peakRss)})`];
    // baselines, in the same run
    if (!skipBaselines) {
      for (const kind of ['duckdb', 'node'] as const) {
        const out = join(E.DATA, `example-out-${kind}`);
        rmSync(out, { recursive: true, force: true });
        mkdirSync(out, { recursive: true });
        const r = await E.measureChild(
          process.execPath,
          ['--import', 'tsx', self, '--baseline', kind, dataDir, out],
          E.ROOT,
        );
        if (r.code !== 0) throw new Error(`${kind} baseline failed:\n${r.stderr.slice(-3000)}`);
        counts[kind] = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Counts;
        add(`${kind}.wall`, r.wallMs);
        add(`${kind}.rss`, r.peakRss);
        line.push(`${kind} ${E.secs(r.wallMs)} (${E.mib(r.peakRss)})`);
      }
    }
    // rerun, no new data: as a child (what a user sees) and in-process (without node/tsx startup)
    const noop = await E.sluiceRun(dir);
    add('noop.wall', noop.wallMs);
    add('noop.update', E.updateMs(noop.result));
    const t0 = performance.now();
    const o = await runPipeline(dir, { cwd: dir });
    const inproc = performance.now() - t0;
    add('noop.inproc', inproc);
    if (o.kind !== 'ran' || o.result.state !== 'COMPLETED') throw new Error('in-process rerun failed');
    // rerun with 1 % new data
    await generateEvents(dataDir, newEvents, 1, events + 1);
    const incr = await E.sluiceRun(dir);
    add('incr.wall', incr.wallMs);
    add('incr.update', E.updateMs(incr.result));
    add('incr.rss', incr.peakRss);
    lastIncr = incr.result;
    line.push(`noop ${E.secs(noop.wallMs)} / in-process ${E.secs(inproc)}`, `+1 % ${E.secs(incr.wallMs)}`);
    console.log(`  ${line.join(', ')}`);
  }
  rmSync(join(dataDir, extraName), { force: true });

  const md = (k: string) => E.median(m[k] ?? []);
  const all = (k: string, f: (x: number) => string) => (m[k] ?? []).map(f).join(', ');
  console.log(
    `\ncold, ${events.toLocaleString('en-US')} events (wall incl. process startup; peak RSS of the child):`,
  );
  console.log(
    `  sluice        ${E.secs(md('sluice.wall')).padStart(9)}  ${E.rate(events, md('sluice.wall'))}  RSS ${E.mib(md('sluice.rss'))}   [${all('sluice.wall', E.secs)}]`,
  );
  console.log(`                (update itself ${E.secs(md('sluice.update'))})`);
  if (!skipBaselines) {
    console.log(
      `  (a) DuckDB    ${E.secs(md('duckdb.wall')).padStart(9)}  ${E.rate(events, md('duckdb.wall'))}  RSS ${E.mib(md('duckdb.rss'))}   [${all('duckdb.wall', E.secs)}]`,
    );
    console.log(
      `  (b) Node.js   ${E.secs(md('node.wall')).padStart(9)}  ${E.rate(events, md('node.wall'))}  RSS ${E.mib(md('node.rss'))}   [${all('node.wall', E.secs)}]  (writes NDJSON/CSV, not Parquet)`,
    );
    console.log(`  sluice / (a)  ${(md('sluice.wall') / md('duckdb.wall')).toFixed(2)}   (goal <= 1.3)`);
    console.log(`  (b) / sluice  ${(md('node.wall') / md('sluice.wall')).toFixed(2)}   (goal >= 3)`);
  }
  const coldMs = md('sluice.wall');
  console.log(
    `rerun, no new data:  wall ${E.secs(md('noop.wall'))}, update ${E.secs(md('noop.update'))}, in-process runPipeline ${E.secs(md('noop.inproc'))}   (goal <= 0.5 s)`,
  );
  console.log(
    `rerun, +1 % (${newEvents.toLocaleString('en-US')} events):  wall ${E.secs(md('incr.wall'))}, update ${E.secs(md('incr.update'))}, RSS ${E.mib(md('incr.rss'))}   (goal <= ${E.secs(coldMs * 0.05 + 500)} = 5 % of cold + 0.5 s)`,
  );
  console.log(
    `peak RSS at ${events.toLocaleString('en-US')}: ${E.mib(Math.max(...(m['sluice.rss'] ?? [])))} max   (goal <= 1 GiB)`,
  );
  if (lastCold)
    console.log(
      `sluice per flow, cold (last rep; flows overlap, durations include waiting):\n${E.flowBreakdown(lastCold)}`,
    );
  if (lastIncr) console.log(`sluice per flow, +1 % rerun:\n${E.flowBreakdown(lastIncr)}`);
  if (lastCold && !skipBaselines) {
    const byName = new Map(lastCold.flows.map((f) => [f.dataset, f.metrics.num_output_rows]));
    const vq = lastCold.flows.find((f) => f.dataset === 'validated_events')?.dataQuality?.quarantined_records;
    byName.set('validated_events_quarantine', vq ?? Number.NaN);
    console.log('row counts  sluice / duckdb / node:');
    for (const k of [
      'bronze_events',
      'silver_events',
      'quarantine_events',
      'validated_events',
      'validated_events_quarantine',
    ] as const) {
      const ck = k === 'bronze_events' ? 'bronze' : k === 'silver_events' ? 'silver' : k;
      console.log(`  ${k.padEnd(28)} ${byName.get(k)} / ${counts.duckdb?.[ck]} / ${counts.node?.[ck]}`);
    }
    console.log(
      `  ${'hourly_stats'.padEnd(28)} ${byName.get('silver_event_hourly_stats')} / ${counts.duckdb?.hourly_stats} / ${counts.node?.hourly_stats}`,
    );
  }
  if (existsSync(join(dataDir, extraName))) rmSync(join(dataDir, extraName));
}

// Child mode: one baseline, its row counts printed as JSON on the last line.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--baseline') {
  const [, , , kind, dataDir, out] = process.argv;
  const c = kind === 'duckdb' ? await duckdbBaseline(dataDir!, out!) : await nodeBaseline(dataDir!, out!);
  console.log(JSON.stringify(c));
}
