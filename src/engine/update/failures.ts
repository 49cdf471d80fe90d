import { SluiceError, toSluiceError } from '../../errors/index.ts';
import type { FlowPlan } from '../../graph/index.ts';

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

/**
 * A failure that escaped a flow, as the error the flow reports. One raised below the flow (a
 * query, DuckDB running out of memory) names the flow's dataset and, when it has none of its own,
 * the flow's definition.
 */
export function flowFailure(e: unknown, f: FlowPlan): SluiceError {
  const err = toSluiceError(e, 'FLOW_EXECUTION_FAILED');
  if (err.dataset !== undefined || (err.code !== 'FLOW_EXECUTION_FAILED' && err.code !== 'OUT_OF_MEMORY'))
    return err;
  const location = err.location ?? f.flow.location;
  return new SluiceError(err.code, err.message, {
    dataset: f.target.name,
    params: err.params,
    cause: err.cause,
    domain: err.domain,
    ...(location ? { location } : {}),
  });
}
