/**
 * Planning a batch: what each of a flow's leaf inputs contributes, recorded in the flow's offset
 * log before anything is read, so a replay after a crash reads exactly the same data.
 */
import { SluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';
import { changeFeedRead } from '../../model/index.ts';
import { tableFolder } from '../../storage/index.ts';
import type { DuckDBConnection } from '../../util/index.ts';
import type {
  BatchOffset,
  PersistedColumns,
  PlannedFile,
  SkippedFile,
  SourceOffset,
} from '../checkpoints/offsets.ts';
import { isDeltaPathInput, planDeltaPathSource } from '../sources/delta-path.ts';
import {
  type DiscoveredFile,
  discoverFiles,
  displayPath,
  evolveFileSchema,
  type FileSourceOptions,
  fileIdentity,
  findCorruptFiles,
  inferFileSchema,
  inputFileOptions,
  planFileBatch,
  skippedFileWarning,
} from '../sources/files.ts';
import type { UpdateContext } from '../update/update-context.ts';

/**
 * What a streaming flow remembers between the batches of one update — only caches of things
 * that are re-derived when missing; nothing here is needed to resume after a crash.
 */
export interface StreamProgress {
  /**
   * Files already planned, per file input key: by identity (the real path, see `fileIdentity`),
   * the file as it was listed when last planned (its size and modification time).
   */
  readonly processed: Map<string, Map<string, PlannedFile>>;
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

/**
 * One offset standing for `offsets` (in batch order, as `readAll` gives them): for file inputs,
 * every file they planned (the latest record of each) with the latest schema and the files they
 * skipped; for other inputs, the latest source. `rememberBatch` of it gives the progress that
 * remembering each of them would. Numbered as the last of them.
 */
export function mergeOffsets(offsets: readonly BatchOffset[]): BatchOffset {
  const last = offsets.at(-1)!;
  const sources: Record<string, SourceOffset> = {};
  for (const o of offsets) {
    for (const [key, s] of Object.entries(o.sources)) {
      const before = sources[key];
      if (s.kind !== 'files' || before?.kind !== 'files') {
        sources[key] = s;
        continue;
      }
      const files = new Map(before.files.map((f) => [fileIdentity(f), f]));
      for (const f of s.files) files.set(fileIdentity(f), f);
      const skipped = [...(before.skipped ?? []), ...(s.skipped ?? [])];
      sources[key] = { ...s, files: [...files.values()], ...(skipped.length > 0 ? { skipped } : {}) };
    }
  }
  return { batchId: last.batchId, plannedAt: last.plannedAt, sources };
}

/** Records a planned batch's sources as seen (files processed, latest offsets). */
export function rememberBatch(progress: StreamProgress, offset: BatchOffset): void {
  for (const [key, s] of Object.entries(offset.sources)) {
    if (s.kind === 'files') {
      let seen = progress.processed.get(key);
      if (!seen) {
        seen = new Map();
        progress.processed.set(key, seen);
      }
      for (const f of s.files) seen.set(fileIdentity(f), f);
    }
    progress.lastByKey.set(key, s);
  }
}

type FilesInput = Extract<FlowPlan['leaves'][number]['input'], { kind: 'files' }>;

/**
 * Lists a file input with its options: symbolic links that lead outside the source path are
 * reported (SOURCE_SYMLINK_SKIPPED), files younger than `minFileAge` are left for later.
 */
async function listInput(
  ctx: UpdateContext,
  f: FlowPlan,
  input: FilesInput,
  opts: FileSourceOptions,
): Promise<DiscoveredFile[]> {
  const links: [string, string][] = [];
  const listed = await discoverFiles(input.path, {
    root: ctx.root,
    followSymlinks: opts.followSymlinks,
    onSkippedLink: (link, target) => links.push([link, target]),
  });
  for (const [link, target] of links) {
    await ctx.warn(
      f,
      new SluiceError(
        'SOURCE_SYMLINK_SKIPPED',
        `symbolic link ${displayPath(link, ctx.root)} under read_files('${input.path}') leads outside the source folder (to ${target}) and is not followed; ` +
          `move or copy the data inside the folder, or read it with a read_files path of its own (followSymlinks => 'false' ignores every link)`,
        { params: { link, target, path: input.path } },
      ),
    );
  }
  if (opts.minFileAgeMs <= 0) return listed;
  const now = Date.now();
  return listed.filter((file) => now - file.mtimeMs >= opts.minFileAgeMs);
}

function planned(file: DiscoveredFile): PlannedFile {
  return {
    path: file.path,
    ...(file.realPath !== undefined ? { realPath: file.realPath } : {}),
    size: file.size,
    mtimeMs: file.mtimeMs,
  };
}

/**
 * With `ignoreCorruptFiles`, the files of a batch that cannot be read, each reported once as a
 * SOURCE_FILE_SKIPPED warning naming it; recorded in the offset so a replay skips them too.
 */
async function corruptFiles(
  ctx: UpdateContext,
  f: FlowPlan,
  input: FilesInput,
  opts: FileSourceOptions,
  files: readonly PlannedFile[],
): Promise<SkippedFile[]> {
  if (!opts.ignoreCorruptFiles || files.length === 0) return [];
  const bad = await findCorruptFiles(
    ctx.db,
    files.map((file) => file.path),
    input.format,
    opts,
    ctx.root,
  );
  const skipped: SkippedFile[] = [];
  for (const [path, error] of bad) {
    await ctx.warn(f, skippedFileWarning(path, error, ctx.root));
    skipped.push({ path, code: error.code, message: error.message });
  }
  return skipped;
}

/**
 * The offset of one file input: `files` as listed, the corrupt ones among them skipped
 * (`ignoreCorruptFiles`), the schema inferred from (or evolved with) the readable rest.
 */
async function fileSource(
  ctx: UpdateContext,
  f: FlowPlan,
  conn: DuckDBConnection,
  input: FilesInput,
  opts: FileSourceOptions,
  kind: 'files' | 'files-snapshot',
  listed: readonly DiscoveredFile[],
  prevSchema: PersistedColumns | undefined,
): Promise<SourceOffset> {
  const files = listed.map(planned);
  const skipped = await corruptFiles(ctx, f, input, opts, files);
  const skip = new Set(skipped.map((s) => s.path));
  const paths = files.map((file) => file.path).filter((p) => !skip.has(p));
  const hooks = {
    root: ctx.root,
    parquetSchemas: ctx.parquetSchemas,
    xmlChecked: ctx.xmlChecked,
    onSkipped: (path: string, error: SluiceError) => ctx.warn(f, skippedFileWarning(path, error, ctx.root)),
  };
  let schema: PersistedColumns = prevSchema ?? { columns: [] };
  if (paths.length > 0) {
    schema = prevSchema
      ? await evolveFileSchema(conn, prevSchema, paths, input.format, opts, hooks)
      : await inferFileSchema(conn, paths, input.format, opts, hooks);
  }
  return { kind, files, schema, ...(skipped.length > 0 ? { skipped } : {}) };
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
    if (isDeltaPathInput(input)) {
      const planned = await planDeltaPathSource(ctx, input, leaf.streaming, progress.lastByKey.get(leaf.key));
      if (planned.fresh) anyNew = true;
      sources[leaf.key] = planned.source;
      continue;
    }
    if (input.kind === 'files') {
      const opts = inputFileOptions(input);
      const prev = progress.lastByKey.get(leaf.key);
      const prevSchema: PersistedColumns | undefined =
        prev && (prev.kind === 'files' || prev.kind === 'files-snapshot') && prev.schema.columns.length > 0
          ? prev.schema
          : undefined;
      const batch = leaf.streaming
        ? await nextFiles(ctx, f, leaf.key, input, opts, progress)
        : await listInput(ctx, f, input, opts);
      if (leaf.streaming && batch.length > 0) anyNew = true;
      // The next batches' files are read with this one's (their schemas, one statement).
      if (leaf.streaming && input.format === 'parquet' && batch.length > 0) {
        const next = progress.listings.get(leaf.key) ?? [];
        await ctx.parquetSchemas.prefetch(
          conn,
          [...batch, ...next].map((file) => file.path),
        );
      }
      const kind = leaf.streaming ? 'files' : 'files-snapshot';
      sources[leaf.key] = await fileSource(ctx, f, conn, input, opts, kind, batch, prevSchema);
      continue;
    }
    const d = leaf.dataset!;
    const latest = await ctx.tables.version(tableFolder(ctx.storage, d));
    const changeFeed = leaf.streaming ? changeFeedRead(input) : undefined;
    if (changeFeed) {
      const prev = progress.lastByKey.get(leaf.key);
      const source = planChanges(d.name, changeFeed, latest ?? -1, prev);
      // A feed's first batch is recorded even when it reads nothing: it pins where the stream
      // starts ('latest' is the version of that first batch, not of a later run's).
      const first = prev?.kind !== 'table-changes' && latest !== undefined;
      if (first || source.snapshot || source.toVersion > source.fromVersion) anyNew = true;
      sources[leaf.key] = source;
      continue;
    }
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

/**
 * The next batch of a change data feed read of `dataset` (latest version `latest`, -1 when it
 * has no table yet): the versions after the last batch's; for its first batch, the table as of
 * now as inserts (no starting version), the versions from `startingVersion` on, or nothing before
 * the versions after now (`latest`).
 */
function planChanges(
  dataset: string,
  read: NonNullable<ReturnType<typeof changeFeedRead>>,
  latest: number,
  prev: SourceOffset | undefined,
): Extract<SourceOffset, { kind: 'table-changes' }> {
  const span = (fromVersion: number) =>
    ({ kind: 'table-changes', dataset, fromVersion, toVersion: Math.max(latest, fromVersion) }) as const;
  if (prev?.kind === 'table-changes') return span(prev.toVersion);
  const start = read.startingVersion;
  if (start === 'latest') return span(latest);
  if (start !== undefined) return span(start - 1);
  // No table yet: its changes from its first version are all its rows, as inserts.
  if (latest < 0) return span(-1);
  return { kind: 'table-changes', dataset, fromVersion: -1, toVersion: latest, snapshot: true };
}

function describeChange(before: PlannedFile, now: DiscoveredFile): string {
  const parts: string[] = [];
  if (before.size !== now.size) parts.push(`${before.size} → ${now.size} bytes`);
  if (before.mtimeMs !== now.mtimeMs) {
    parts.push(
      `modified ${new Date(now.mtimeMs).toISOString()}, read as of ${new Date(before.mtimeMs).toISOString()}`,
    );
  }
  return parts.join(', ');
}

/**
 * Which listed files a streaming input has still to read: those never planned, and — with
 * `allowOverwrites` — those whose size or modification time changed since they were planned
 * (read again in full, as Auto Loader does). Without it a changed file is not read again: its
 * change is a SOURCE_FILE_CHANGED warning, once per update and state of the file.
 */
async function pendingFiles(
  ctx: UpdateContext,
  f: FlowPlan,
  input: FilesInput,
  opts: FileSourceOptions,
  listed: readonly DiscoveredFile[],
  done: ReadonlyMap<string, PlannedFile>,
): Promise<DiscoveredFile[]> {
  const pending: DiscoveredFile[] = [];
  for (const file of listed) {
    // Offsets written before real paths were recorded know a file by its listed path.
    const before = done.get(fileIdentity(file)) ?? (file.realPath ? done.get(file.path) : undefined);
    if (!before) {
      pending.push(file);
      continue;
    }
    if (before.size === file.size && before.mtimeMs === file.mtimeMs) continue;
    if (opts.allowOverwrites) {
      pending.push(file);
      continue;
    }
    await ctx.warn(
      f,
      new SluiceError(
        'SOURCE_FILE_CHANGED',
        `source file ${displayPath(file.path, ctx.root)} of read_files('${input.path}') changed after it was read (${describeChange(before, file)}); ` +
          `what it gained is not read. Set the read_files option allowOverwrites => 'true' to read a changed file again in full, ` +
          `or write files elsewhere and move them in when complete (minFileAge => '30 seconds' leaves files modified that recently for a later update)`,
        {
          params: {
            path: file.path,
            size: file.size,
            mtimeMs: file.mtimeMs,
            readSize: before.size,
            readMtimeMs: before.mtimeMs,
          },
        },
      ),
    );
  }
  return pending;
}

/** The next files of a streaming file input, within its per-trigger limits. */
async function nextFiles(
  ctx: UpdateContext,
  f: FlowPlan,
  key: string,
  input: FilesInput,
  opts: FileSourceOptions,
  progress: StreamProgress,
): Promise<readonly DiscoveredFile[]> {
  const done = progress.processed.get(key) ?? new Map<string, PlannedFile>();
  const limits = {
    maxFilesPerTrigger: opts.maxFilesPerTrigger,
    ...(opts.maxBytesPerTrigger !== undefined ? { maxBytesPerTrigger: opts.maxBytesPerTrigger } : {}),
  };
  // Plan from the cached listing while it still holds unprocessed files; list again when it is
  // used up (so a run ends only after a fresh listing found nothing new).
  const unplanned = (file: DiscoveredFile) => {
    const before = done.get(fileIdentity(file)) ?? (file.realPath ? done.get(file.path) : undefined);
    return before === undefined || before.size !== file.size || before.mtimeMs !== file.mtimeMs;
  };
  let pending = (progress.listings.get(key) ?? []).filter(unplanned);
  if (pending.length === 0) {
    const listed = await listInput(ctx, f, input, opts);
    pending = await pendingFiles(ctx, f, input, opts, listed, done);
  }
  const batch = planFileBatch(pending, new Set(), limits);
  progress.listings.set(key, pending.slice(batch.length));
  return batch;
}

/**
 * The current state of every input, read as a batch: each file input's listing (with its
 * schema, and the corrupt files skipped with `ignoreCorruptFiles`) and each table's latest
 * version (null when it does not exist yet).
 */
export async function snapshotSources(
  ctx: UpdateContext,
  f: FlowPlan,
  conn: DuckDBConnection,
): Promise<Record<string, SourceOffset>> {
  const sources: Record<string, SourceOffset> = {};
  for (const leaf of f.leaves) {
    const input = leaf.input;
    if (isDeltaPathInput(input)) {
      sources[leaf.key] = (await planDeltaPathSource(ctx, input, false, undefined)).source;
      continue;
    }
    if (input.kind === 'files') {
      const opts = inputFileOptions(input);
      const listed = await listInput(ctx, f, input, opts);
      sources[leaf.key] = await fileSource(ctx, f, conn, input, opts, 'files-snapshot', listed, undefined);
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
      case 'table-changes':
        if (s.snapshot) parts.push(`${s.dataset}@v${s.toVersion} (as inserts)`);
        else if (s.toVersion > s.fromVersion)
          parts.push(`${s.dataset} changes v${s.fromVersion + 1}-${s.toVersion}`);
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
