/**
 * Query text rewriting: Spark-style Delta table references `` delta.`path` [VERSION AS OF n] ``
 * become a parenthesized DuckDB subquery over the snapshot's files; and the read-only check.
 */
import { isAbsolute, resolve } from 'node:path';
import { SluiceError } from '../errors/index.ts';
import { isSignificant, type Token, tokenize, unquote } from './sql-tokens.ts';

/** One `` delta.`path` `` reference found in a query. */
export interface DeltaReference {
  /** Offsets in the query text of the whole reference (including `VERSION AS OF n`). */
  readonly start: number;
  readonly end: number;
  /** The path as written (between backticks). */
  readonly path: string;
  readonly version?: number;
}

function nextSignificant(tokens: readonly Token[], i: number): number {
  let j = i;
  while (j < tokens.length && !isSignificant(tokens[j] as Token)) j++;
  return j;
}

function isWord(t: Token | undefined, word: string): boolean {
  return t?.kind === 'word' && t.text.toUpperCase() === word;
}

/** Finds every `` delta.`path` `` reference (outside strings and comments), in order. */
export function findDeltaReferences(sql: string): DeltaReference[] {
  const tokens = tokenize(sql);
  const refs: DeltaReference[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (!isWord(t, 'DELTA')) continue;
    // Not part of a longer dotted name (x.delta.`p`).
    let p = i - 1;
    while (p >= 0 && !isSignificant(tokens[p] as Token)) p--;
    if (p >= 0 && tokens[p]?.text === '.') continue;
    const dot = nextSignificant(tokens, i + 1);
    if (tokens[dot]?.text !== '.') continue;
    const pathIdx = nextSignificant(tokens, dot + 1);
    const pathTok = tokens[pathIdx];
    if (pathTok?.kind !== 'backtick') continue;
    let endIdx = pathIdx;
    let version: number | undefined;
    const v = nextSignificant(tokens, pathIdx + 1);
    if (isWord(tokens[v], 'VERSION')) {
      const a = nextSignificant(tokens, v + 1);
      const o = nextSignificant(tokens, a + 1);
      const n = nextSignificant(tokens, o + 1);
      const num = tokens[n];
      if (
        isWord(tokens[a], 'AS') &&
        isWord(tokens[o], 'OF') &&
        num?.kind === 'number' &&
        /^\d+$/.test(num.text)
      ) {
        version = Number(num.text);
        endIdx = n;
      } else {
        throw new SluiceError(
          'QUERY_FAILED',
          `expected 'VERSION AS OF <integer>' after delta.${pathTok.text}`,
          {
            params: { offset: tokens[v]?.start },
          },
        );
      }
    }
    const last = tokens[endIdx] as Token;
    refs.push({
      start: t.start,
      end: last.start + last.text.length,
      path: unquote(pathTok),
      ...(version !== undefined ? { version } : {}),
    });
    i = endIdx;
  }
  return refs;
}

/** Resolves a reference's path against the working directory. */
export function resolveDeltaPath(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/**
 * Replaces each reference with `(<sql>)`, where `<sql>` comes from `scanFor(absolutePath, version)`.
 * A user alias after the reference (`delta.\`p\` AS t`) keeps working; without one DuckDB names the subquery.
 */
export async function rewriteDeltaReferences(
  sql: string,
  cwd: string,
  scanFor: (absolutePath: string, version: number | undefined) => Promise<string>,
): Promise<string> {
  const refs = findDeltaReferences(sql);
  let out = '';
  let pos = 0;
  for (const r of refs) {
    out += sql.slice(pos, r.start);
    out += `(${await scanFor(resolveDeltaPath(r.path, cwd), r.version)})`;
    pos = r.end;
  }
  return out + sql.slice(pos);
}

/** Statement keywords `sluice query` runs. */
const READ_STATEMENTS = new Set([
  'SELECT',
  'WITH',
  'VALUES',
  'FROM',
  'TABLE',
  'DESCRIBE',
  'DESC',
  'SHOW',
  'SUMMARIZE',
  'EXPLAIN',
  'PRAGMA',
]);
/** PRAGMAs that only read. */
const READ_PRAGMAS = new Set([
  'TABLE_INFO',
  'SHOW',
  'SHOW_TABLES',
  'SHOW_TABLES_EXPANDED',
  'DATABASE_LIST',
  'DATABASE_SIZE',
  'STORAGE_INFO',
  'VERSION',
  'PLATFORM',
  'FUNCTIONS',
  'COLLATIONS',
]);

function readOnlyError(keyword: string): SluiceError {
  return new SluiceError(
    'QUERY_READ_ONLY',
    `sluice query runs read-only statements only; '${keyword}' is not allowed`,
    {
      params: { statement: keyword },
    },
  );
}

/** Checks one statement's significant tokens (from its start). */
function checkStatement(tokens: readonly Token[]): void {
  let i = 0;
  while (tokens[i]?.text === '(') i++;
  const first = tokens[i];
  if (!first) return;
  const kw = first.text.toUpperCase();
  if (first.kind !== 'word' || !READ_STATEMENTS.has(kw)) throw readOnlyError(first.text);
  if (kw === 'EXPLAIN') {
    let j = i + 1;
    if (isWord(tokens[j], 'ANALYZE')) j++;
    checkStatement(tokens.slice(j));
  } else if (kw === 'PRAGMA') {
    const name = tokens[i + 1]?.text.toUpperCase() ?? '';
    if (!READ_PRAGMAS.has(name)) throw readOnlyError(`PRAGMA ${tokens[i + 1]?.text ?? ''}`.trim());
  } else if (kw === 'WITH') {
    // The statement after the CTE list (first keyword at depth 0 after the WITH) must be a query.
    let depth = 0;
    for (let j = i + 1; j < tokens.length; j++) {
      const t = tokens[j] as Token;
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.kind === 'word') {
        const w = t.text.toUpperCase();
        if (['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY', 'CREATE'].includes(w))
          throw readOnlyError(t.text);
        if (w === 'SELECT' || w === 'VALUES' || w === 'FROM' || w === 'TABLE') break;
      }
    }
  }
}

/**
 * Throws QUERY_READ_ONLY unless every statement is a query: SELECT, WITH … SELECT, VALUES,
 * FROM-first, TABLE, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN [ANALYZE] of those, or a read-only PRAGMA
 * (table_info, show_tables, …). Statements are split on `;` outside strings and comments.
 */
export function assertReadOnly(sql: string): void {
  const tokens = tokenize(sql).filter(isSignificant);
  let stmt: Token[] = [];
  for (const t of tokens) {
    if (t.text === ';') {
      checkStatement(stmt);
      stmt = [];
    } else {
      stmt.push(t);
    }
  }
  checkStatement(stmt);
}

/** One `table_changes('t', start[, end])` call found in a query (versions only). */
export interface TableChangesReference {
  readonly start: number;
  readonly end: number;
  /** The table name as written (may be qualified: `schema.t`). */
  readonly table: string;
  readonly startVersion: number;
  readonly endVersion?: number;
}

/**
 * Finds every `table_changes('t', start[, end])` call (outside strings and comments): Spark's
 * reader of a table's change data feed between two versions (inclusive).
 * @throws SluiceError UNSUPPORTED_SQL_SYNTAX for timestamps (only versions are read);
 *   QUERY_FAILED for a call that is not `('name', integer[, integer])`.
 */
export function findTableChangesReferences(sql: string): TableChangesReference[] {
  const tokens = tokenize(sql);
  const refs: TableChangesReference[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isWord(tokens[i], 'TABLE_CHANGES')) continue;
    const open = nextSignificant(tokens, i + 1);
    if (tokens[open]?.text !== '(') continue;
    const args: Token[] = [];
    let j = nextSignificant(tokens, open + 1);
    for (; j < tokens.length && tokens[j]?.text !== ')'; j = nextSignificant(tokens, j + 1)) {
      const t = tokens[j] as Token;
      if (t.text !== ',') args.push(t);
    }
    const [name, from, to] = args;
    const bad = (why: string) =>
      new SluiceError('QUERY_FAILED', `table_changes(…): ${why}`, { params: { offset: tokens[i]?.start } });
    if (j >= tokens.length || name?.kind !== 'string' || args.length < 2 || args.length > 3)
      throw bad("expected table_changes('table', startVersion[, endVersion])");
    for (const v of [from, to]) {
      if (v === undefined || (v.kind === 'number' && /^\d+$/.test(v.text))) continue;
      if (v.kind === 'string')
        throw new SluiceError(
          'UNSUPPORTED_SQL_SYNTAX',
          'table_changes(…) by timestamp is not supported: give table versions (see DESCRIBE HISTORY / the table log)',
          { params: { construct: 'table_changes by timestamp' } },
        );
      throw bad(`'${v.text}' is not a table version`);
    }
    refs.push({
      start: (tokens[i] as Token).start,
      end: (tokens[j] as Token).start + 1,
      table: unquote(name),
      startVersion: Number(from!.text),
      ...(to !== undefined ? { endVersion: Number(to.text) } : {}),
    });
    i = j;
  }
  return refs;
}
