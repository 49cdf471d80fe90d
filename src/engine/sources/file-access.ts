import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isSluiceError, type SluiceError, toSluiceError } from '../../errors/index.ts';
import type { FileFormat } from '../../model/index.ts';
import { checkCompression, checkRecordSizes, unreadableFile } from './file-checks.ts';
import type { DiscoveredFile } from './file-discovery.ts';
import type { FileSourceOptions } from './file-options.ts';
import { checkFilesReadable, missingFile } from './file-read.ts';
import type { XmlCheckedFiles } from './file-xml.ts';
import type { ParquetSchemas } from './parquet-schemas.ts';

/**
 * What reading a batch's files and inferring their schema share: which of the planned files can
 * be read, and the coded error naming the file DuckDB failed on.
 */

/** A file as planned (discovered) or its path. */
export type FileRef = DiscoveredFile | string;

export function pathsOf(files: readonly FileRef[]): string[] {
  return files.map((f) => (typeof f === 'string' ? f : f.path));
}

/** Parquet files of size 0 are not Parquet; JSON/CSV empty files simply have no rows. */
export async function nonEmptyParquet(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) if ((await stat(p)).size > 0) out.push(p);
  return out;
}

/** What reading files reports back, and where it reports from. */
export interface FileReadHooks {
  /** The pipeline folder: messages name files relative to it. */
  readonly root?: string;
  /** A planned file not read (`ignoreMissingFiles`: it no longer exists), with the error it gave. */
  readonly onSkipped?: (path: string, error: SluiceError) => Promise<void> | void;
  /** The update's remembered Parquet columns (a batch's planning and binding read the same files). */
  readonly parquetSchemas?: ParquetSchemas;
  /** The update's XML files that passed the subset checks (inference and the batch check the same files). */
  readonly xmlChecked?: XmlCheckedFiles;
}

/**
 * The files of a batch that can be read: refuses codecs sluice cannot read
 * (SOURCE_FILE_COMPRESSION_UNSUPPORTED) and lines longer than `maxRecordSize`
 * (SOURCE_RECORD_TOO_LARGE); a file that no longer exists is SOURCE_FILE_UNREADABLE (domain
 * external), or with `ignoreMissingFiles` left out and reported to `hooks.onSkipped`.
 */
export async function readableFiles(
  paths: readonly string[],
  format: FileFormat,
  opts: FileSourceOptions,
  hooks: FileReadHooks,
): Promise<{ paths: string[]; bytes: number }> {
  checkCompression(paths, format, hooks.root);
  const { bytes, missing } = await checkFilesReadable(paths, hooks.root);
  let present = [...paths];
  if (missing.length > 0) {
    if (!opts.ignoreMissingFiles) throw missing[0]!.error;
    const gone = new Set(missing.map((m) => m.path));
    for (const m of missing) await hooks.onSkipped?.(m.path, m.error);
    present = present.filter((p) => !gone.has(p));
  }
  await checkRecordSizes(present, format, opts.multiLine, opts.maxRecordSize, hooks.root);
  return { paths: present, bytes };
}

/** The file of `paths` an error message names (the longest match: `a.json.gz` over `a.json`). */
export function culpritOf(error: Error, paths: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const p of paths)
    if (error.message.includes(p) && (best === undefined || p.length > best.length)) best = p;
  return best;
}

/**
 * Turns an error raised while running a `fileBatchSql` query into SOURCE_FILE_UNREADABLE when
 * DuckDB names one of the batch's files in it (domain external when the file no longer exists —
 * deleted or moved under us —, user otherwise: not valid UTF-8, a corrupt gzip stream or Parquet
 * footer); otherwise returns the error unchanged. `explainFileReadError` also finds the line.
 */
export function toFileSourceError(error: unknown, files: readonly FileRef[], root?: string): unknown {
  if (isSluiceError(error) || !(error instanceof Error)) return error;
  const culprit = culpritOf(error, pathsOf(files));
  if (culprit === undefined) return error;
  if (!existsSync(culprit)) return missingFile(culprit, error, root);
  return unreadableFile(culprit, reasonLine(error), {
    cause: error,
    ...(root !== undefined ? { root } : {}),
  });
}

function reasonLine(error: Error): string {
  return toSluiceError(error).message.split('\n')[0]!;
}
