/**
 * Which pipelines `sluice ui` shows: the one named (or found from the working folder upwards,
 * as every command finds it), else every pipeline in the folders below (a monorepo of
 * pipelines), each with its own id in the page's URLs.
 */
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  type BundleSelection,
  type EventLogIndexState,
  PipelineMonitor,
  SluiceError,
  SPEC_FILE_NAMES,
} from '../index.ts';
import { readCacheFile, uiCacheFile } from './cache-files.ts';
import { displayFolder } from './graph-json.ts';
import { PipelineContext } from './pipeline-context.ts';

const SPEC_NAMES: ReadonlySet<string> = new Set([...SPEC_FILE_NAMES, 'databricks.yml', 'databricks.yaml']);
const SKIPPED = new Set(['node_modules', 'dist', 'target', 'build']);
const MAX_DEPTH = 4;

/** Folders below `root` (depth ≤ 4, hidden and dependency folders skipped) that hold a pipeline spec. */
async function specFolders(root: string, depth = 0): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return [];
  }
  if (depth > 0 && entries.some((e) => e.isFile() && SPEC_NAMES.has(e.name))) return [root];
  if (depth >= MAX_DEPTH) return [];
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('.') || SKIPPED.has(e.name)) continue;
    out.push(...(await specFolders(join(root, e.name), depth + 1)));
  }
  return out;
}

/** A URL-safe id from a folder name, unique among `taken`. */
function idFor(folder: string, taken: Set<string>): string {
  const base =
    basename(folder)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'pipeline';
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  taken.add(id);
  return id;
}

/** A pipeline's monitor whose event log index starts from what the dashboard saved last time. */
async function openMonitor(dir: string | undefined, options: { cwd: string } & BundleSelection) {
  let monitor: PipelineMonitor | undefined;
  monitor = await PipelineMonitor.open(dir, {
    ...options,
    savedEvents: async () =>
      monitor
        ? ((await readCacheFile(uiCacheFile(monitor.storage, 'event-log-index'))) as
            | EventLogIndexState
            | undefined)
        : undefined,
  });
  return monitor;
}

/**
 * Opens the pipelines to show.
 * @throws SluiceError PIPELINE_SPEC_NOT_FOUND when there is none (and the spec errors of a named one)
 */
export async function findPipelines(
  dir: string | undefined,
  cwd: string,
  bundle: BundleSelection,
  pollMs: number,
  version = '',
): Promise<(PipelineContext & { readonly folder: string })[]> {
  const taken = new Set<string>();
  const context = (target: string, monitor: PipelineMonitor) =>
    Object.assign(
      new PipelineContext({
        id: idFor(monitor.root, taken),
        dir: target,
        cwd,
        bundle,
        monitor,
        pollMs,
        version,
      }),
      { folder: displayFolder(monitor.root, cwd) },
    );
  try {
    const monitor = await openMonitor(dir, { cwd, ...bundle });
    return [context(resolve(cwd, dir ?? monitor.root), monitor)];
  } catch (e) {
    if (!(e instanceof SluiceError && e.code === 'PIPELINE_SPEC_NOT_FOUND')) throw e;
    const folders = await specFolders(resolve(cwd, dir ?? '.'));
    const out: (PipelineContext & { folder: string })[] = [];
    for (const f of folders) {
      try {
        out.push(context(f, await openMonitor(f, { cwd })));
      } catch {
        // a folder whose spec does not load is left out; `sluice validate` there says why
      }
    }
    if (out.length === 0) throw e;
    return out;
  }
}
