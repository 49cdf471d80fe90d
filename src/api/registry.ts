import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../errors/index.ts';
import type { AutoCdc, AutoCdcFromSnapshot, Dataset, DatasetKind } from '../model/index.ts';
import type { SqlQuery } from './sql-template.ts';

/** What a query callback receives. `conf` is the spec configuration extended by SQL `SET`s. */
export interface PipelineContext {
  readonly conf: Readonly<Record<string, string>>;
}

/** A query: a `sql` template, or a function of the context returning one (evaluated at load, not import). */
export type QueryArg = SqlQuery | ((ctx: PipelineContext) => SqlQuery);

/** One call of the TS API, recorded at import time and compiled by the loader afterwards. */
export type Registration =
  | (Pick<
      Dataset,
      | 'name'
      | 'comment'
      | 'properties'
      | 'partitionBy'
      | 'clusterBy'
      | 'columns'
      | 'expectations'
      | 'private'
      | 'location'
    > & {
      readonly kind: 'dataset';
      readonly datasetKind: DatasetKind;
      readonly query?: QueryArg;
    })
  | {
      readonly kind: 'append_flow';
      readonly name?: string;
      readonly target: string;
      readonly once: boolean;
      readonly query: QueryArg;
      readonly location?: SourceLocation;
    }
  | {
      /** `createAutoCdcFlow`: `query` reads the source as a stream with the event columns computed. */
      readonly kind: 'auto_cdc_flow';
      readonly name?: string;
      readonly target: string;
      readonly cdc: AutoCdc;
      readonly query: QueryArg;
      readonly location?: SourceLocation;
    }
  | {
      /** `createAutoCdcFromSnapshotFlow`: `query` reads the source in batch. */
      readonly kind: 'auto_cdc_snapshot_flow';
      readonly name?: string;
      readonly target: string;
      readonly snapshotCdc: AutoCdcFromSnapshot;
      readonly query: QueryArg;
      readonly location?: SourceLocation;
    };

/** Maps a stack-frame position of evaluated code to its original source position. */
export type FrameMapper = (loc: SourceLocation) => SourceLocation;

interface RegistryState {
  /** Absolute path of the file being imported by the loader, if any. */
  currentFile: string | undefined;
  /** How frames of the code being evaluated map to sources (bundled code), if they need it. */
  mapFrame: FrameMapper | undefined;
  collected: Registration[];
  /** Node module hooks this process has installed for pipeline files (see load-ts.ts). */
  readonly hooks: Set<'sluice-resolve' | 'tsx'>;
}

/**
 * The one process-wide state of sluice, on purpose: pipeline files register through the `sluice`
 * module they import, which may be another instance of this module (another loader or
 * namespace), and Node's module hooks are installed once per process. So the registry, and the
 * record of installed hooks, live on `globalThis` under a registered symbol; everything else
 * belongs to a session.
 */
const KEY = Symbol.for('sluice.api.registry');
function state(): RegistryState {
  const g = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  g[KEY] ??= { currentFile: undefined, mapFrame: undefined, collected: [], hooks: new Set() };
  return g[KEY];
}

/**
 * Installs a process-wide module hook once: returns true the first time `name` is claimed in
 * this process (the caller then installs it), false afterwards.
 */
export function claimModuleHook(name: 'sluice-resolve' | 'tsx'): boolean {
  const hooks = state().hooks;
  if (hooks.has(name)) return false;
  hooks.add(name);
  return true;
}

/** Records one API call. Outside a loader collection the call is recorded and later discarded. */
export function register(r: Registration): void {
  state().collected.push(r);
}

/**
 * Runs `load` (which imports `file`) and returns exactly the registrations it made.
 * Collections do not nest; the loader imports files one at a time. `mapFrame` translates
 * stack positions when `file` runs as bundled code, so call sites name the original sources.
 */
export async function collectRegistrations(
  file: string,
  load: () => Promise<void> | void,
  mapFrame?: FrameMapper,
): Promise<Registration[]> {
  const s = state();
  s.currentFile = file;
  s.mapFrame = mapFrame;
  s.collected = [];
  try {
    await load();
    return s.collected;
  } finally {
    s.currentFile = undefined;
    s.mapFrame = undefined;
    s.collected = [];
  }
}

const FRAME = /\(?((?:file:\/\/)?\/[^():]*?|[A-Za-z]:\\[^():]*?)(?:\?[^:]*)?:(\d+):(\d+)\)?\s*$/;

export type Frame = { readonly file: string; readonly line: number; readonly column: number };

/** Frames of a formatted stack (positions already source-mapped when Node maps them). */
export function stackFrames(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames;
}

/** Frames straight from V8, unformatted: far cheaper than a formatted (and source-mapped) stack. */
function rawFrames(below: (...args: never[]) => unknown): Frame[] {
  const saved = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    Error.captureStackTrace(holder, below);
    const sites = holder.stack as NodeJS.CallSite[];
    const frames: Frame[] = [];
    for (const site of sites) {
      const name = site.getFileName();
      if (!name) continue;
      const file = name.startsWith('file://') ? fileURLToPath(name.replace(/\?.*$/, '')) : name;
      frames.push({ file, line: site.getLineNumber() ?? 1, column: site.getColumnNumber() ?? 1 });
    }
    return frames;
  } finally {
    Error.prepareStackTrace = saved;
  }
}

/**
 * The user's call site of an API function: the first stack frame in the file being loaded,
 * else the first frame outside `src/api`. Lines are the source file's: tsx keeps source maps for
 * files it imports, and bundled files map their frames through the bundle's source map.
 * `file` is absolute here; the loader rewrites it relative to the pipeline root.
 */
export function callSite(): SourceLocation | undefined {
  const { currentFile: current, mapFrame } = state();
  // Bundled code maps its own frames, so it can take V8's raw positions.
  const frames = mapFrame ? rawFrames(callSite) : stackFrames(new Error().stack ?? '');
  let fallback: SourceLocation | undefined;
  for (const raw of frames) {
    const loc = mapFrame && raw.file === current ? mapFrame(raw) : raw;
    if (current !== undefined && loc.file === current) return loc;
    if (fallback === undefined && !/[\\/]src[\\/]api[\\/]/.test(loc.file)) fallback = loc;
  }
  return fallback;
}
