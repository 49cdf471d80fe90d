/**
 * Planning a batch: what each of a flow's leaf inputs contributes, recorded in the flow's offset
 * log before anything is read, so a replay after a crash reads exactly the same data.
 */
import type { FlowPlan } from '../../graph/index.ts';
import { tableFolder } from '../../storage/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import type { BatchOffset, PersistedColumns, SourceOffset } from '../checkpoints/offsets.ts';
import type { DiscoveredFile } from '../sources/file-discovery.ts';
import { discoverFiles, evolveFileSchema, inferFileSchema, planFileBatch } from '../sources/files.ts';
import type { UpdateContext } from '../update/update-context.ts';

/**
 * What a streaming flow remembers between the batches of one update — only caches of things
 * that are re-derived when missing; nothing here is needed to resume after a crash.
 */
export interface StreamProgress {
  /** Files already planned, per file input key. */
  readonly processed: Map<string, Set<string>>;
  /** The latest planned source of every input key. */
  readonly lastByKey: Map<string, SourceOffset>;
  /**
   * Per streaming file input: the files listed but not yet planned, in arrival order. Batches
   * are planned from this listing; the source path is listed again only once it is used up, so
   * listing costs O(files) per listing instead of per batch.
   */
  readonly listings: Map<string, DiscoveredFile[]>;
}

export function newStreamProgress(): StreamProgress {
  return { processed: new Map(), lastByKey: new Map(), listings: new Map() };
}

/** Records a planned batch's sources as seen (files processed, latest offsets). */
export function rememberBatch(progress: StreamProgress, offset: BatchOffset): void {
  for (const [key, s] of Object.entries(offset.sources)) {
    if (s.kind === 'files') {
      let set = progress.processed.get(key);
      if (!set) {
        set = new Set();
        progress.processed.set(key, set);
      }
      for (const f of s.files) set.add(f.path);
    }
    progress.lastByKey.set(key, s);
  }
}

function optionNumber(options: Readonly<Record<string, string>>, name: string): number | undefined {
  const entry = Object.entries(options).find(([k]) => k.toLowerCase() === name.toLowerCase());
  if (!entry) return undefined;
  const n = Number(entry[1]);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Plans micro-batch `batchId` of a streaming flow: new files and new table versions of its
 * streaming inputs, the current listing or version of its batch inputs. Undefined when no
 * streaming input has anything new.
 */
export async function planStreamingBatch(
  ctx: UpdateContext,
  f: FlowPlan,
  conn: DuckDBConnection,
  batchId: number,
  progress: StreamProgress,
): Promise<BatchOffset | undefined> {
  const sources: Record<string, SourceOffset> = {};
  let anyNew = false;
  for (const leaf of f.leaves) {
    const input = leaf.input;
    if (input.kind === 'files') {
      const prev = progress.lastByKey.get(leaf.key);
      const prevSchema: PersistedColumns | undefined =
        prev && (prev.kind === 'files' || prev.kind === 'files-snapshot') && prev.schema.columns.length > 0
          ? prev.schema
          : undefined;
      const batch = leaf.streaming
        ? await nextFiles(ctx, leaf.key, input, progress)
        : await discoverFiles(input.path, { root: ctx.root });
      let schema: PersistedColumns = prevSchema ?? { columns: [] };
      if (batch.length > 0) {
        const paths = batch.map((file) => file.path);
        schema = prevSchema
          ? await evolveFileSchema(conn, prevSchema, paths, input.format, input.options)
          : await inferFileSchema(conn, paths, input.format, input.options);
      }
      const files = batch.map((file) => ({ path: file.path, size: file.size, mtimeMs: file.mtimeMs }));
      if (leaf.streaming && files.length > 0) anyNew = true;
      sources[leaf.key] = { kind: leaf.streaming ? 'files' : 'files-snapshot', files, schema };
      continue;
    }
    const d = leaf.dataset!;
    const latest = await ctx.tables.version(tableFolder(ctx.storage, d));
    if (leaf.streaming) {
      const prev = progress.lastByKey.get(leaf.key);
      const fromVersion = prev?.kind === 'table-stream' ? prev.toVersion : -1;
      const toVersion = latest ?? -1;
      if (toVersion > fromVersion) anyNew = true;
      sources[leaf.key] = {
        kind: 'table-stream',
        dataset: d.name,
        fromVersion,
        toVersion: Math.max(toVersion, fromVersion),
      };
    } else {
      sources[leaf.key] = { kind: 'table-snapshot', dataset: d.name, version: latest ?? null };
    }
  }
  if (!anyNew) return undefined;
  return { batchId, plannedAt: new Date().toISOString(), sources };
}

/** The next files of a streaming file input, within its per-trigger limits. */
async function nextFiles(
  ctx: UpdateContext,
  key: string,
  input: Extract<FlowPlan['leaves'][number]['input'], { kind: 'files' }>,
  progress: StreamProgress,
): Promise<readonly DiscoveredFile[]> {
  const done = progress.processed.get(key) ?? new Set<string>();
  const limits = {
    maxFilesPerTrigger: optionNumber(input.options, 'maxFilesPerTrigger'),
    maxBytesPerTrigger: optionNumber(input.options, 'maxBytesPerTrigger'),
  };
  // Plan from the cached listing while it still holds unprocessed files; list again when it is
  // used up (so a run ends only after a fresh listing found nothing new).
  let pending = (progress.listings.get(key) ?? []).filter((file) => !done.has(file.path));
  if (pending.length === 0) {
    pending = planFileBatch(await discoverFiles(input.path, { root: ctx.root }), done, {
      maxFilesPerTrigger: Number.POSITIVE_INFINITY,
    });
  }
  const batch = planFileBatch(pending, done, limits);
  progress.listings.set(key, pending.slice(batch.length));
  return batch;
}

/**
 * The current state of every input, read as a batch: each file input's listing (with its
 * schema) and each table's latest version (null when it does not exist yet).
 */
export async function snapshotSources(
  ctx: UpdateContext,
  f: FlowPlan,
  conn: DuckDBConnection,
): Promise<Record<string, SourceOffset>> {
  const sources: Record<string, SourceOffset> = {};
  for (const leaf of f.leaves) {
    const input = leaf.input;
    if (input.kind === 'files') {
      const files = (await discoverFiles(input.path, { root: ctx.root })).map((file) => ({
        path: file.path,
        size: file.size,
        mtimeMs: file.mtimeMs,
      }));
      const schema =
        files.length > 0
          ? await inferFileSchema(
              conn,
              files.map((file) => file.path),
              input.format,
              input.options,
            )
          : { columns: [] };
      sources[leaf.key] = { kind: 'files-snapshot', files, schema };
    } else {
      const d = leaf.dataset!;
      const version = await ctx.tables.version(tableFolder(ctx.storage, d));
      sources[leaf.key] = { kind: 'table-snapshot', dataset: d.name, version: version ?? null };
    }
  }
  return sources;
}

/** A short description of where a batch's rows came from (for quarantine `_source`). */
export function describeSources(offset: BatchOffset): string {
  const parts: string[] = [];
  for (const s of Object.values(offset.sources)) {
    switch (s.kind) {
      case 'files':
        if (s.files.length === 1) parts.push(s.files[0]!.path);
        else if (s.files.length > 1) parts.push(`${s.files.length} files: ${s.files[0]!.path} …`);
        break;
      case 'table-stream':
        if (s.toVersion > s.fromVersion) parts.push(`${s.dataset}@v${s.fromVersion + 1}-${s.toVersion}`);
        break;
      case 'table-snapshot':
      case 'files-snapshot':
        break;
      default: {
        const never: never = s;
        return never;
      }
    }
  }
  return parts.join('; ');
}

/**
 * Whether a flow's streaming table reads ignore commits that delete or update rows (Spark's
 * `skipChangeCommits`): a flow option, or the target table's property `skipChangeCommits`
 * (also accepted as `pipelines.skipChangeCommits`).
 */
export function skipsChangeCommits(f: FlowPlan): boolean {
  const pick = (m: Readonly<Record<string, string>>) =>
    Object.entries(m).find(([k]) =>
      ['skipchangecommits', 'pipelines.skipchangecommits'].includes(k.toLowerCase()),
    )?.[1];
  return /^true$/i.test(pick(f.flow.options) ?? pick(f.target.properties) ?? '');
}
