/**
 * Repair of a damaged event log. The event log is sluice's own append-only table, written under
 * the pipeline lock; when one of its commits cannot be read (a torn or overwritten file, a file
 * gone), every later update would lose its events and every `event_log` query would fail. So
 * the writer, before it appends, replaces each unreadable commit after the newest readable
 * checkpoint with a readable one: the lines of the damaged file that still parse as Delta
 * actions (with data files that exist), plus a commitInfo saying what was repaired. The damaged
 * file is kept next to it (`<version>.json.damaged-<time>`), which Delta readers ignore.
 */
import { randomUUID } from 'node:crypto';
import { access, readdir, readFile, rename } from 'node:fs/promises';
import { SluiceError } from '../errors/index.ts';
import {
  type Action,
  checkpointFilePath,
  commitFilePath,
  ENGINE_INFO,
  latestVersion,
  readCommit,
  requiredProtocol,
  serializeSchema,
} from '../storage/index.ts';
import { putAtomic } from '../util/index.ts';
import { EVENT_LOG_SCHEMA } from './schema.ts';

/** One commit the repair replaced. */
export interface RepairedCommit {
  readonly version: number;
  /** Where the damaged file was kept (absent when the commit file was missing). */
  readonly keptAs?: string;
  /** Data files (events) its readable lines still referenced and the repair kept. */
  readonly keptFiles: number;
}

/**
 * Replaces the unreadable commits of the event log at `tablePath` (see the module comment) and
 * returns what it repaired (nothing when the log reads). Call under the pipeline lock.
 */
export async function repairEventLog(tablePath: string): Promise<RepairedCommit[]> {
  const latest = await latestVersion(tablePath);
  if (latest === undefined) return [];
  const from = (await newestCheckpoint(tablePath, latest)) + 1;
  const repaired: RepairedCommit[] = [];
  for (let v = from; v <= latest; v++) {
    try {
      await readCommit(tablePath, v);
    } catch (e) {
      if (
        !(
          e instanceof SluiceError &&
          (e.code === 'DELTA_CORRUPT_LOG' || e.code === 'DELTA_VERSION_NOT_FOUND')
        )
      )
        throw e;
      repaired.push(await replaceCommit(tablePath, v));
    }
  }
  return repaired;
}

async function newestCheckpoint(tablePath: string, latest: number): Promise<number> {
  for (let v = latest; v >= 0; v--) {
    if (
      await access(checkpointFilePath(tablePath, v)).then(
        () => true,
        () => false,
      )
    )
      return v;
  }
  return -1;
}

async function replaceCommit(tablePath: string, version: number): Promise<RepairedCommit> {
  const file = commitFilePath(tablePath, version);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const salvaged = text === undefined ? [] : await salvage(tablePath, text);
  // Version 0 creates the table: without its own protocol and metaData, write them anew.
  const creation: Action[] =
    version === 0 && !salvaged.some((a) => 'metaData' in a)
      ? [
          { protocol: requiredProtocol(EVENT_LOG_SCHEMA, { 'delta.appendOnly': 'true' }) },
          {
            metaData: {
              id: randomUUID(),
              name: 'event_log',
              description: 'sluice pipeline event log',
              format: { provider: 'parquet', options: {} },
              schemaString: serializeSchema(EVENT_LOG_SCHEMA),
              partitionColumns: [],
              configuration: { 'delta.appendOnly': 'true' },
              createdTime: Date.now(),
            },
          },
        ]
      : [];
  const keptAs = text === undefined ? undefined : `${file}.damaged-${Date.now()}`;
  if (keptAs) await rename(file, keptAs);
  const commitInfo: Action = {
    commitInfo: {
      timestamp: Date.now(),
      operation: 'REPAIR',
      operationParameters: {
        reason: text === undefined ? 'the commit file was missing' : 'the commit file was damaged',
      },
      engineInfo: ENGINE_INFO,
      isBlindAppend: true,
    },
  };
  const body = [commitInfo, ...creation, ...salvaged];
  await putAtomic(file, `${body.map((a) => JSON.stringify(a)).join('\n')}\n`);
  return {
    version,
    ...(keptAs ? { keptAs } : {}),
    keptFiles: salvaged.filter((a) => 'add' in a).length,
  };
}

/** The lines of a damaged commit that still parse as actions worth keeping. */
async function salvage(tablePath: string, text: string): Promise<Action[]> {
  const present = new Set(await readdir(tablePath).catch(() => [] as string[]));
  const out: Action[] = [];
  for (const line of text.split('\n')) {
    let a: Record<string, unknown>;
    try {
      a = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (!a || typeof a !== 'object') continue;
    const add = a.add as { path?: unknown } | undefined;
    if (add && typeof add.path === 'string' && present.has(decodeURIComponent(add.path)))
      out.push(a as unknown as Action);
    else if ('protocol' in a || 'metaData' in a) out.push(a as unknown as Action);
  }
  return out;
}
