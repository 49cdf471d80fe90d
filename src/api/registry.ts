import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../errors/index.ts';
import type { ColumnDefinition, DatasetKind, Expectation } from '../model/index.ts';
import type { SqlQuery } from './sql-template.ts';

/** What a query callback receives. `conf` is the spec configuration extended by SQL `SET`s. */
export interface PipelineContext {
  readonly conf: Readonly<Record<string, string>>;
}

/** A query: a `sql` template, or a function of the context returning one (evaluated at load, not import). */
export type QueryArg = SqlQuery | ((ctx: PipelineContext) => SqlQuery);

/** One call of the TS API, recorded at import time and compiled by the loader afterwards. */
export type Registration =
  | {
      readonly kind: 'dataset';
      readonly datasetKind: DatasetKind;
      readonly name: string;
      readonly comment?: string;
      readonly properties: Readonly<Record<string, string>>;
      readonly partitionBy: readonly string[];
      readonly clusterBy: readonly string[];
      readonly columns?: readonly ColumnDefinition[];
      readonly expectations: readonly Expectation[];
      readonly private: boolean;
      readonly query?: QueryArg;
      readonly location?: SourceLocation;
    }
  | {
      readonly kind: 'append_flow';
      readonly name?: string;
      readonly target: string;
      readonly once: boolean;
      readonly query: QueryArg;
      readonly location?: SourceLocation;
    };

interface RegistryState {
  /** Absolute path of the file being imported by the loader, if any. */
  currentFile: string | undefined;
  collected: Registration[];
}

// The registry lives on globalThis: the `sluice` module a pipeline imports and the loader's
// module could be distinct instances (different loaders/namespaces); both must see one list.
const KEY = Symbol.for('sluice.api.registry');
function state(): RegistryState {
  const g = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  g[KEY] ??= { currentFile: undefined, collected: [] };
  return g[KEY];
}

/** Records one API call. Outside a loader collection the call is recorded and later discarded. */
export function register(r: Registration): void {
  state().collected.push(r);
}

/**
 * Runs `load` (which imports `file`) and returns exactly the registrations it made.
 * Collections do not nest; the loader imports files one at a time.
 */
export async function collectRegistrations(file: string, load: () => Promise<void>): Promise<Registration[]> {
  const s = state();
  s.currentFile = file;
  s.collected = [];
  try {
    await load();
    return s.collected;
  } finally {
    s.currentFile = undefined;
    s.collected = [];
  }
}

const FRAME = /\(?((?:file:\/\/)?\/[^():]*?|[A-Za-z]:\\[^():]*?)(?:\?[^:]*)?:(\d+):(\d+)\)?\s*$/;

/**
 * The user's call site of an API function: the first stack frame in the file being loaded,
 * else the first frame outside `src/api`. tsx keeps source maps, so lines are the `.ts` file's.
 * `file` is absolute here; the loader rewrites it relative to the pipeline root.
 */
export function callSite(): SourceLocation | undefined {
  const stack = new Error().stack ?? '';
  const current = state().currentFile;
  let fallback: SourceLocation | undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    const loc = { file, line: Number(m[2]), column: Number(m[3]) };
    if (current !== undefined && file === current) return loc;
    if (fallback === undefined && !/[\\/]src[\\/]api[\\/]/.test(file)) fallback = loc;
  }
  return fallback;
}
