/**
 * Runs Spark's documented function examples (examples.json) through sluice as a pipeline would:
 * each example's SELECT is compiled with `SqlCompiler.compileQuery` (a query with no inputs), the
 * DuckDB SQL runs on a connection of the session's database in UTC, and the rows are printed the
 * way Spark prints them (format.ts) and compared with Spark's documented result.
 *
 * Outcomes, best to worst for a user: `pass`; `refused` (sluice rejected the query at compile
 * time with a SluiceError code — the documented contract for what it cannot translate exactly);
 * `error` (compiled, but DuckDB failed at run time); `wrong` (ran and printed a different result).
 * `skipped` examples (clock, randomness, environment) are counted but not run.
 *
 *   node --import tsx test/sql/spark-examples/run-examples.ts [--family x[,y]] [--function f]
 *        [--verbose] [--time-zone Zone] [--record]
 *
 * `--record` (full run in UTC only) rewrites known-wrong.json and baseline.json (the ratchet that
 * conformance.test.ts asserts) and docs/spark-functions.md. `--time-zone` is a diagnostic: Spark's examples were printed in
 * America/Los_Angeles, so an example that is wrong in UTC but passes there depends on the zone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { isSluiceError } from '../../../src/errors/index.ts';
import { Session } from '../../../src/index.ts';
import type { SqlCompiler } from '../../../src/sql/index.ts';
import type { Database } from '../../../src/util/index.ts';
import { formatRows, normalizeOutput } from './format.ts';
import { FUNCTIONS_DOC_FILE, functionsDoc } from './functions-doc.ts';

export interface SparkExample {
  /** `function#n` (n-th example of that name), `table:function#n` for table-valued functions. */
  readonly id: string;
  readonly function: string;
  readonly tableFunction?: boolean;
  /** Spark's documentation group (`string`, `datetime`, `agg`, …). */
  readonly family: string;
  /** `file.scala#Class` under Spark's catalyst expressions. */
  readonly source: string;
  readonly sql: string;
  /** Spark's printed result, normalized like Spark's own example check. */
  readonly expected: readonly string[];
  /** Why the example is not run (non-deterministic or environment-dependent). */
  readonly skip?: string;
}

export type Outcome = 'pass' | 'refused' | 'error' | 'wrong' | 'skipped';
export const OUTCOMES: readonly Outcome[] = ['pass', 'refused', 'error', 'wrong', 'skipped'];

export interface ExampleResult {
  readonly example: SparkExample;
  readonly outcome: Outcome;
  /** What sluice printed (pass, wrong). */
  readonly actual?: string;
  /** The SluiceError code (refused). */
  readonly code?: string;
  /** The Spark function sluice refused (UNSUPPORTED_SPARK_FUNCTION), often not the example's own. */
  readonly refusedFunction?: string;
  /** The error message (refused, error) or the skip reason. */
  readonly message?: string;
  /** A pass that needed leniency: `row order` or `float last digit`. */
  readonly note?: string;
  /** The DuckDB SQL sluice produced. */
  readonly duckdbSql?: string;
}

export interface KnownWrong {
  readonly id: string;
  readonly sql: string;
  readonly expected: string;
  readonly actual: string;
}

export interface Baseline {
  readonly spark: string;
  readonly total: number;
  readonly pass: number;
  readonly refused: number;
  readonly error: number;
  readonly wrong: number;
  readonly skipped: number;
}

const HERE = import.meta.dirname;
export const EXAMPLES_FILE = join(HERE, 'examples.json');
export const KNOWN_WRONG_FILE = join(HERE, 'known-wrong.json');
export const BASELINE_FILE = join(HERE, 'baseline.json');

export function loadExamples(): { spark: string; examples: SparkExample[] } {
  return JSON.parse(readFileSync(EXAMPLES_FILE, 'utf8'));
}

export function loadKnownWrong(): KnownWrong[] {
  return JSON.parse(readFileSync(KNOWN_WRONG_FILE, 'utf8'));
}

export function loadBaseline(): Baseline {
  return JSON.parse(readFileSync(BASELINE_FILE, 'utf8'));
}

/** A run-time limit per example, so one runaway query cannot stall the whole corpus. */
const QUERY_TIMEOUT_MS = 10_000;

export interface RunOptions {
  /** A session (or its parts): the compiler and the database queries run on. */
  readonly session: { readonly sql: SqlCompiler; readonly db: Database };
  /** DuckDB's TimeZone for the run; sluice runs in UTC (the default). */
  readonly timeZone?: string;
  /** Connections running examples at once. */
  readonly connections?: number;
}

/** Evaluates every example; results come back in the order of `examples`. */
export async function runExamples(
  examples: readonly SparkExample[],
  options: RunOptions,
): Promise<ExampleResult[]> {
  const timeZone = options.timeZone ?? 'UTC';
  // Compile everything first: the compiler batches its DuckDB parser calls.
  const compiled = await Promise.all(
    examples.map(async (ex) => {
      if (ex.skip) return undefined;
      try {
        return await options.session.sql.compileQuery(ex.sql);
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    }),
  );
  const results: ExampleResult[] = new Array(examples.length);
  const queue: number[] = [];
  examples.forEach((ex, i) => {
    const c = compiled[i];
    if (ex.skip) results[i] = { example: ex, outcome: 'skipped', message: ex.skip };
    else if (c instanceof Error) {
      const fn = isSluiceError(c) ? c.params.function : undefined;
      results[i] = isSluiceError(c)
        ? {
            example: ex,
            outcome: 'refused',
            code: c.code,
            message: c.message,
            ...(typeof fn === 'string' ? { refusedFunction: fn } : {}),
          }
        : { example: ex, outcome: 'error', message: `compile: ${c.message}` };
    } else if (c && c.inputs.length > 0) {
      // The examples read no tables; an input means sluice took something for a table.
      const names = c.inputs.map((x) => JSON.stringify(x)).join(', ');
      results[i] = { example: ex, outcome: 'error', message: `compiled with inputs: ${names}` };
    } else queue.push(i);
  });

  const worker = async () => {
    const conn = await options.session.db.connect();
    try {
      await conn.run(`SET TimeZone = '${timeZone}'`);
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        results[i] = await runOne(conn, examples[i]!, compiled[i] as { sql: string }, timeZone);
      }
    } finally {
      conn.closeSync();
    }
  };
  await Promise.all(Array.from({ length: options.connections ?? 4 }, worker));
  return results;
}

async function runOne(
  conn: DuckDBConnection,
  ex: SparkExample,
  compiled: { sql: string },
  timeZone: string,
): Promise<ExampleResult> {
  const base = { example: ex, duckdbSql: compiled.sql };
  let actual: string;
  const timer = setTimeout(() => conn.interrupt(), QUERY_TIMEOUT_MS);
  try {
    const reader = await conn.runAndReadAll(compiled.sql);
    actual = normalizeOutput(formatRows(reader.getRows(), reader.columnTypes(), timeZone));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ...base, outcome: 'error', message: message.split('\n')[0]! };
  } finally {
    clearTimeout(timer);
  }
  const expected = ex.expected.join('\n');
  if (actual === expected) return { ...base, outcome: 'pass', actual };
  const note = lenientMatch(ex, expected, actual);
  if (note) return { ...base, outcome: 'pass', actual, note };
  return { ...base, outcome: 'wrong', actual };
}

const NUMBER = /(-?\d+(?:\.\d+)?(?:E-?\d+)?)/;

/**
 * Aggregates whose element order Spark documents as non-deterministic ("depends on the order of
 * the rows"), unless the call orders them (WITHIN GROUP). DuckDB's order for them can change from
 * run to run, so their results compare as multisets: of array elements, or of the characters of
 * a concatenated string (the examples aggregate single letters).
 */
const UNORDERED_AGGREGATES: ReadonlySet<string> = new Set([
  'collect_list',
  'collect_set',
  'array_agg',
  'listagg',
  'string_agg',
]);

/** Top-level items of a printed array, or the characters of any other printed value. */
function elements(line: string): string[] {
  if (!(line.startsWith('[') && line.endsWith(']'))) return [...line];
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 1;
  for (let i = 1; i < line.length - 1; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '[' || ch === '{')) depth++;
    else if (!quoted && (ch === ']' || ch === '}')) depth--;
    else if (!quoted && depth === 0 && ch === ',') {
      items.push(line.slice(start, i));
      start = i + 1;
    }
  }
  if (line.length > 2) items.push(line.slice(start, -1));
  return items;
}

/** Whether the query orders its rows: ORDER BY outside any parentheses (not in OVER (…)). */
function ordersRows(sql: string): boolean {
  let flat = sql.replace(/'[^']*'/g, "''");
  for (let prev = ''; prev !== flat; ) {
    prev = flat;
    flat = flat.replace(/\([^()]*\)/g, '()');
  }
  return /\bORDER\s+BY\b/i.test(flat);
}

const sameElements = (x: string, y: string) =>
  elements(x).sort().join('\u0000') === elements(y).sort().join('\u0000');

/**
 * Differences that are not wrong results: the same rows in another order (no example orders its
 * rows with ORDER BY unless order matters, and SQL defines none otherwise), the same elements in
 * another order where Spark defines none (UNORDERED_AGGREGATES), and doubles that differ in the
 * last digit (Java's StrictMath and C's libm may round transcendental functions one ulp apart).
 */
function lenientMatch(ex: SparkExample, expected: string, actual: string): string | undefined {
  const e = expected.split('\n');
  const a = actual.split('\n');
  if (
    e.length > 1 &&
    e.length === a.length &&
    !ordersRows(ex.sql) &&
    [...e].sort().join('\n') === [...a].sort().join('\n')
  )
    return 'row order';
  if (
    UNORDERED_AGGREGATES.has(ex.function) &&
    !/WITHIN\s+GROUP/i.test(ex.sql) &&
    e.length === a.length &&
    e.every((line, i) => sameElements(line, a[i]!))
  )
    return 'element order';
  const et = expected.split(NUMBER);
  const at = actual.split(NUMBER);
  if (et.length !== at.length) return undefined;
  let close = false;
  for (let i = 0; i < et.length; i++) {
    if (et[i] === at[i]) continue;
    // Odd positions are the captured numbers; both must be fractional (same type printed).
    if (i % 2 === 0 || !/[.E]/.test(et[i]!) || !/[.E]/.test(at[i]!)) return undefined;
    const x = Number(et[i]);
    const y = Number(at[i]);
    if (Math.abs(x - y) > 1e-14 * Math.max(Math.abs(x), Math.abs(y))) return undefined;
    close = true;
  }
  return close ? 'float last digit' : undefined;
}

// ---------------------------------------------------------------------------------------------
// Reporting

export type Counts = Record<Outcome, number> & { total: number };

export function countOutcomes(results: readonly ExampleResult[]): Counts {
  const counts: Counts = { total: 0, pass: 0, refused: 0, error: 0, wrong: 0, skipped: 0 };
  for (const r of results) {
    counts.total++;
    counts[r.outcome]++;
  }
  return counts;
}

export function countByFamily(results: readonly ExampleResult[]): Map<string, Counts> {
  const byFamily = new Map<string, ExampleResult[]>();
  for (const r of results) {
    const list = byFamily.get(r.example.family) ?? [];
    list.push(r);
    byFamily.set(r.example.family, list);
  }
  return new Map(
    [...byFamily].sort(([a], [b]) => a.localeCompare(b)).map(([f, rs]) => [f, countOutcomes(rs)]),
  );
}

function table(rows: readonly (readonly (string | number)[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) =>
      r.map((x, c) => (c === 0 ? String(x).padEnd(widths[c]!) : String(x).padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

/** `label` before the first line, blanks of its width before the others. */
const labelled = (label: string, text: string) =>
  text
    .split('\n')
    .map((l, i) => (i === 0 ? label : ' '.repeat(label.length)) + l)
    .join('\n');

/** The human-readable report: totals, per-family counts, every wrong and error, refusals by code. */
export function formatReport(results: readonly ExampleResult[], options: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  const head = ['', 'total', ...OUTCOMES];
  const row = (name: string, c: Counts) => [name, c.total, ...OUTCOMES.map((o) => c[o])];
  out.push(
    table([
      head,
      row('ALL', countOutcomes(results)),
      ...[...countByFamily(results)].map(([f, c]) => row(f, c)),
    ]),
  );

  const lenient = results.filter((r) => r.note);
  if (lenient.length) {
    out.push(`\npassed with leniency: ${lenient.length}`);
    for (const r of lenient) out.push(`  ${r.example.id} (${r.note})`);
  }

  for (const outcome of ['wrong', 'error'] as const) {
    const list = results.filter((r) => r.outcome === outcome);
    out.push(`\n== ${outcome.toUpperCase()} (${list.length})`);
    for (const r of list) {
      out.push(`\n${r.example.id}  [${r.example.family}]`);
      out.push(`  spark:    ${r.example.sql}`);
      if (options.verbose && r.duckdbSql) out.push(`  duckdb:   ${r.duckdbSql}`);
      out.push(labelled('  expected: ', r.example.expected.join('\n') || '(empty)'));
      if (outcome === 'wrong') out.push(labelled('  actual:   ', r.actual || '(empty)'));
      else out.push(`  error:    ${r.message}`);
    }
  }

  const refused = results.filter((r) => r.outcome === 'refused');
  const byCode = new Map<string, ExampleResult[]>();
  for (const r of refused) byCode.set(r.code!, [...(byCode.get(r.code!) ?? []), r]);
  out.push(`\n== REFUSED (${refused.length})`);
  for (const [code, list] of [...byCode].sort((a, b) => b[1].length - a[1].length)) {
    out.push(`\n${code} (${list.length})`);
    if (options.verbose) {
      for (const r of list) out.push(`  ${r.example.id}: ${r.message}`);
      continue;
    }
    // One entry per function, most refused first: the function sluice refused where it says
    // (an example of `size` may be refused for the `map(…)` that builds its argument).
    const byFn = new Map<string, number>();
    for (const r of list) {
      const fn = r.refusedFunction ?? r.example.function;
      byFn.set(fn, (byFn.get(fn) ?? 0) + 1);
    }
    const names = [...byFn].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    out.push(`  ${names.map(([f, n]) => (n > 1 ? `${f} ×${n}` : f)).join(', ')}`);
  }
  return out.join('\n');
}

/** Writes JSON, then lets the repository's formatter lay it out (so `npm run lint` accepts it). */
export function writeJson(file: string, data: unknown): void {
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  const biome = join(HERE, '../../../node_modules/.bin/biome');
  if (existsSync(biome)) execFileSync(biome, ['format', '--write', file], { stdio: 'ignore' });
}

/** Rewrites the ratchet files from a full UTC run. */
export function recordRatchet(spark: string, results: readonly ExampleResult[]): void {
  const wrong: KnownWrong[] = results
    .filter((r) => r.outcome === 'wrong')
    .map((r) => ({
      id: r.example.id,
      sql: r.example.sql,
      expected: r.example.expected.join('\n'),
      actual: r.actual ?? '',
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  writeJson(KNOWN_WRONG_FILE, wrong);
  const c = countOutcomes(results);
  const baseline: Baseline = {
    spark,
    total: c.total,
    pass: c.pass,
    refused: c.refused,
    error: c.error,
    wrong: c.wrong,
    skipped: c.skipped,
  };
  writeJson(BASELINE_FILE, baseline);
  writeFileSync(FUNCTIONS_DOC_FILE, functionsDoc(spark, results));
}

// ---------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv: readonly string[]) {
  const opts = {
    families: [] as string[],
    functions: [] as string[],
    verbose: false,
    record: false,
    timeZone: 'UTC',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--family') opts.families.push(...value().split(','));
    else if (a === '--function') opts.functions.push(...value().split(','));
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--record') opts.record = true;
    else if (a === '--time-zone') opts.timeZone = value();
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const { spark, examples } = loadExamples();
  const selected = examples.filter(
    (e) =>
      (opts.families.length === 0 || opts.families.includes(e.family)) &&
      (opts.functions.length === 0 || opts.functions.includes(e.function)),
  );
  const full = selected.length === examples.length;
  if (opts.record && (!full || opts.timeZone !== 'UTC'))
    throw new Error('--record needs a full run in UTC (no --family, --function or --time-zone)');
  const session = new Session();
  try {
    const started = Date.now();
    const results = await runExamples(selected, { session, timeZone: opts.timeZone });
    console.log(
      `Spark ${spark} documented examples: ${selected.length} run in ${Date.now() - started} ms (time zone ${opts.timeZone})\n`,
    );
    console.log(formatReport(results, { verbose: opts.verbose }));
    if (opts.record) {
      recordRatchet(spark, results);
      console.log('\nrecorded known-wrong.json, baseline.json and docs/spark-functions.md');
    }
  } finally {
    await session.close();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
