/**
 * `sluice query --pipeline`: read-only Spark SQL over a pipeline's tables, its event log and
 * the `system.lakeflow.*` views.
 *
 * How a query runs: (1) the read-only check on the text as written; (2) `` delta.`path` ``
 * references become placeholder names; (3) queries are translated from Spark SQL to DuckDB by
 * the SQL front end (statements DuckDB knows but the translator does not accept — SHOW,
 * DESCRIBE, FROM-first … — run as DuckDB SQL); (4) every table reference in the DuckDB AST
 * (`json_serialize_sql`) that names a pipeline relation is pointed at a temporary view over
 * its current snapshot, keeping the name as alias so `t.col` still binds; (5) DuckDB runs it.
 */
import { SluiceError } from '../errors/index.ts';
import { didYouMean } from '../graph/index.ts';
import type { SqlCompiler } from '../sql/index.ts';
import { changesSql, loadSnapshot, snapshotScanSql } from '../storage/index.ts';
import { type Database, type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../util/index.ts';
import {
  listPipelineTables,
  type PipelineQueryTarget,
  type PipelineTable,
  type ResolvedRelation,
  relationSql,
  resolvePipelineName,
} from './pipeline-tables.ts';
import {
  assertReadOnly,
  findDeltaReferences,
  findTableChangesReferences,
  resolveDeltaPath,
  type TableChangesReference,
} from './rewrite.ts';
import { type QueryResult, readQueryResult } from './run-query.ts';
import { isSignificant, tokenize } from './sql-tokens.ts';

export interface PipelineQueryOptions {
  /** Directory relative `` delta.`path` `` references resolve against. */
  readonly cwd: string;
  readonly pipeline: PipelineQueryTarget;
  /** The session's database the query runs on, and its SQL front end (Spark SQL → DuckDB). */
  readonly db: Database;
  readonly sql: SqlCompiler;
}

const DELTA_PLACEHOLDER = '__sluice_delta_ref_';
const CHANGES_PLACEHOLDER = '__sluice_changes_ref_';
const QUERY_KEYWORDS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', '(']);

interface AstTable {
  type: 'BASE_TABLE';
  alias: string;
  schema_name: string;
  table_name: string;
  catalog_name: string;
}

function isBaseTable(v: unknown): v is AstTable {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { type?: unknown }).type === 'BASE_TABLE' &&
    'table_name' in v
  );
}

function walk(v: unknown, visit: (t: AstTable) => void): void {
  if (Array.isArray(v)) {
    for (const x of v) walk(x, visit);
  } else if (typeof v === 'object' && v !== null) {
    if (isBaseTable(v)) visit(v);
    for (const x of Object.values(v)) walk(x, visit);
  }
}

function partsOf(t: AstTable): string[] {
  const parts = [t.catalog_name, t.schema_name, t.table_name].filter((p) => p !== '');
  return parts.length > 1 && parts[0]?.toLowerCase() === 'live' ? parts.slice(1) : parts;
}

/** Runs `sql` over the pipeline (see the module comment). */
export async function runPipelineQuery(sql: string, options: PipelineQueryOptions): Promise<QueryResult> {
  assertReadOnly(sql);
  const target = options.pipeline;
  // (2) delta.`path` and table_changes('t', …) → placeholder table names the translator passes through.
  const deltaRefs = findDeltaReferences(sql);
  const changeRefs = findTableChangesReferences(sql);
  const placed = [
    ...deltaRefs.map((r, i) => ({ start: r.start, end: r.end, name: `${DELTA_PLACEHOLDER}${i}` })),
    ...changeRefs.map((r, i) => ({ start: r.start, end: r.end, name: `${CHANGES_PLACEHOLDER}${i}` })),
  ].sort((a, b) => a.start - b.start);
  let text = '';
  let pos = 0;
  for (const r of placed) {
    text += `${sql.slice(pos, r.start)}${r.name}`;
    pos = r.end;
  }
  text += sql.slice(pos);

  const tables = await listPipelineTables(target.storage);
  const conn = await options.db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const views = new ViewRegistry(options.db, conn, target, tables, deltaRefs, options.cwd, changeRefs);
    const missing = (name: string) => {
      const table = name.startsWith(CHANGES_PLACEHOLDER)
        ? (changeRefs[Number(name.slice(CHANGES_PLACEHOLDER.length))]?.table ?? name)
        : name;
      const names = tables.map((t) => t.name);
      const hint = didYouMean(table, names);
      return `pipeline '${target.name}' has no table '${table}'${hint ? `; did you mean '${hint}'?` : ''} (a table exists once an update has written it${names.length > 0 ? `; its tables: ${names.join(', ')}` : '; none has yet'})`;
    };
    const first = tokenize(text).find(isSignificant)?.text.toUpperCase() ?? '';
    let duck: string | undefined;
    if (QUERY_KEYWORDS.has(first)) {
      try {
        duck = (await options.sql.translateStandaloneSql(text)).sql;
      } catch (e) {
        if (!(e instanceof SluiceError)) throw e;
        if (e.code !== 'SQL_SYNTAX_ERROR') throw e;
        // Not Spark SQL the translator knows: try it as DuckDB SQL; report the Spark error if that fails too.
        duck = await views.rewriteAst(text).catch(() => {
          throw new SluiceError('QUERY_FAILED', e.message.replace(/\s*\n\s*/g, ' '), { cause: e });
        });
        return await readQueryResult(conn, duck, missing);
      }
      return await readQueryResult(conn, await views.rewriteAst(duck), missing);
    }
    // SHOW / DESCRIBE / SUMMARIZE / EXPLAIN / PRAGMA / FROM-first: plain DuckDB, with every
    // pipeline relation visible under its plain name.
    await views.defineAllByName();
    return await readQueryResult(conn, text, missing);
  } finally {
    conn.closeSync();
  }
}

/** Temporary views over pipeline relations, created on demand on one connection. */
class ViewRegistry {
  readonly #made = new Map<string, string>();

  constructor(
    private readonly db: Database,
    private readonly conn: DuckDBConnection,
    private readonly target: PipelineQueryTarget,
    private readonly tables: readonly PipelineTable[],
    private readonly deltaRefs: ReturnType<typeof findDeltaReferences>,
    private readonly cwd: string,
    private readonly changeRefs: readonly TableChangesReference[],
  ) {}

  async #view(key: string, rows: () => Promise<string>): Promise<string> {
    const existing = this.#made.get(key);
    if (existing) return existing;
    const name = `__sluice_view_${this.#made.size}`;
    await this.conn.run(`CREATE TEMP VIEW ${sqlIdent(name)} AS ${await rows()}`);
    this.#made.set(key, name);
    return name;
  }

  async #relationView(parts: readonly string[]): Promise<string | undefined> {
    const placeholder = parts.length === 1 ? parts[0]! : '';
    if (placeholder.startsWith(DELTA_PLACEHOLDER)) {
      const ref = this.deltaRefs[Number(placeholder.slice(DELTA_PLACEHOLDER.length))];
      if (!ref) return undefined;
      const path = resolveDeltaPath(ref.path, this.cwd);
      return this.#view(`delta:${path}@${ref.version ?? ''}`, async () =>
        snapshotScanSql(
          await loadSnapshot(path, {
            db: this.db,
            ...(ref.version === undefined ? {} : { version: ref.version }),
          }),
        ),
      );
    }
    if (placeholder.startsWith(CHANGES_PLACEHOLDER)) {
      const ref = this.changeRefs[Number(placeholder.slice(CHANGES_PLACEHOLDER.length))];
      const r = ref && resolvePipelineName(ref.table.split('.'), this.target, this.tables);
      if (!ref || r?.kind !== 'table') return undefined;
      return this.#view(`changes:${r.path}@${ref.startVersion}-${ref.endVersion ?? ''}`, () =>
        changesSql(r.path, ref.startVersion, ref.endVersion),
      );
    }
    const r: ResolvedRelation | undefined = resolvePipelineName(parts, this.target, this.tables);
    if (!r) return undefined;
    const key = r.kind === 'table' ? `table:${r.path}` : r.kind;
    return this.#view(key, () => relationSql(this.db, r, this.target.storage));
  }

  /** Points every pipeline table reference of DuckDB `sql` (queries only) at a view. */
  async rewriteAst(sql: string): Promise<string> {
    const [row] = await queryRows<{ j: string }>(
      this.conn,
      `SELECT json_serialize_sql(${sqlString(sql)}) AS j`,
    );
    // 64-bit integers (e.g. query_location = 2^64-1 for "none") do not survive JSON.parse:
    // keep their digits as placeholder strings and put them back after stringify.
    const big: string[] = [];
    const ast = JSON.parse(
      row!.j.replace(/:(\d{16,})(?=[,}\]])/g, (_, d: string) => `:"__sluice_big_${big.push(d) - 1}"`),
    ) as { error: boolean; error_message?: string };
    if (ast.error) {
      throw new SluiceError(
        'QUERY_FAILED',
        String(ast.error_message ?? 'the query does not parse').replace(/\s*\n\s*/g, ' '),
      );
    }
    const refs: AstTable[] = [];
    walk(ast, (t) => refs.push(t));
    let changed = false;
    for (const t of refs) {
      const parts = partsOf(t);
      const view = await this.#relationView(parts);
      if (!view) continue;
      t.alias ||= parts.at(-1)!;
      t.catalog_name = '';
      t.schema_name = '';
      t.table_name = view;
      changed = true;
    }
    if (!changed) return sql;
    const [out] = await queryRows<{ s: string }>(
      this.conn,
      `SELECT json_deserialize_sql(${sqlString(JSON.stringify(ast).replace(/"__sluice_big_(\d+)"/g, (_, i: string) => big[Number(i)]!))}) AS s`,
    );
    return out!.s;
  }

  /** Views named like the relations themselves (tables by plain name, `event_log`), for non-query statements. */
  async defineAllByName(): Promise<void> {
    const names = new Set<string>();
    for (const t of this.tables) {
      if (names.has(t.name)) continue;
      const r = resolvePipelineName([t.name], this.target, this.tables);
      if (!r) continue;
      names.add(t.name);
      await this.conn.run(
        `CREATE TEMP VIEW ${sqlIdent(t.name)} AS ${await relationSql(this.db, r, this.target.storage)}`,
      );
    }
    for (let i = 0; i < this.changeRefs.length; i++) {
      const view = await this.#relationView([`${CHANGES_PLACEHOLDER}${i}`]);
      if (view)
        await this.conn.run(
          `CREATE TEMP VIEW ${sqlIdent(`${CHANGES_PLACEHOLDER}${i}`)} AS SELECT * FROM ${sqlIdent(view)}`,
        );
    }
    for (let i = 0; i < this.deltaRefs.length; i++) {
      const view = await this.#relationView([`${DELTA_PLACEHOLDER}${i}`]);
      await this.conn.run(
        `CREATE TEMP VIEW ${sqlIdent(`${DELTA_PLACEHOLDER}${i}`)} AS SELECT * FROM ${sqlIdent(view!)}`,
      );
    }
    if (!names.has('event_log')) {
      await this.conn.run(
        `CREATE TEMP VIEW event_log AS ${await relationSql(this.db, { kind: 'event_log' }, this.target.storage)}`,
      );
    }
  }
}
