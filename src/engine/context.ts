import type { SluiceError } from '../errors/index.ts';
import type { ExecutionPlan } from '../graph/index.ts';
import type { EngineEvent } from './types.ts';

/** What every flow of one update shares. */
export interface UpdateContext {
  readonly plan: ExecutionPlan;
  /** Absolute storage folder of the pipeline. */
  readonly storage: string;
  /** The pipeline folder: relative source paths resolve against it. */
  readonly root: string;
  readonly pipeline: string;
  readonly updateId: string;
  readonly configuration: Readonly<Record<string, string>>;
  /** Aborted on SIGINT/SIGTERM: flows finish their current batch and stop. */
  readonly signal?: AbortSignal;
  emit(event: EngineEvent): Promise<void>;
}

/** Decides once, from codes and domains only, whether a failure is worth retrying. */
export function isTransient(e: SluiceError): boolean {
  if (e.domain !== 'external') return false;
  switch (e.code) {
    case 'DELTA_CONCURRENT_MODIFICATION':
    case 'DELTA_CORRUPT_LOG':
    case 'DELTA_CORRUPT_CHECKPOINT':
    case 'DELTA_MISSING_DATA_FILE':
      return false;
    default:
      return true;
  }
}
