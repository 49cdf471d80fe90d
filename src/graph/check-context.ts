import type { ErrorCode } from '../errors/index.ts';
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { type Dataset, type Flow, isStored } from '../model/index.ts';
import type { SqlCompiler } from '../sql/index.ts';
import type { GraphIndex } from './resolve.ts';
import type { FailedFlow, ResolvedFlow } from './types.ts';

/** What every check sees: the indexed definitions and each flow's resolution. */
export interface CheckContext {
  readonly index: GraphIndex;
  /** The session's SQL front end (expectations are translated to be checked). */
  readonly sql: SqlCompiler;
  /** By flow name (unique flows only). */
  readonly resolutions: ReadonlyMap<string, ResolvedFlow | FailedFlow>;
  /** The raw definitions, duplicates included. */
  readonly allDatasets: readonly Dataset[];
  readonly allFlows: readonly Flow[];
}

/** A named validation rule. Checks never throw for user mistakes; they return every error found. */
export interface GraphCheck {
  readonly name: string;
  run(ctx: CheckContext): SluiceError[] | Promise<SluiceError[]>;
}

export function error(
  code: ErrorCode,
  message: string,
  dataset: string | undefined,
  location: SourceLocation | undefined,
  params: Record<string, unknown> = {},
): SluiceError {
  return new SluiceError(code, message, {
    params,
    ...(dataset !== undefined ? { dataset } : {}),
    ...(location !== undefined ? { location } : {}),
  });
}

export function isView(d: Dataset): boolean {
  return !isStored(d);
}

export function flowLocation(ctx: CheckContext, f: Flow): SourceLocation | undefined {
  return f.location ?? f.query.location ?? ctx.index.datasets.get(f.target)?.location;
}
