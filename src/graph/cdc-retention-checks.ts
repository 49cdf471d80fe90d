import type { SluiceError } from '../errors/index.ts';
import { TOMBSTONE_RETENTION_PROPERTY } from '../model/index.ts';
import { error, type GraphCheck } from './check-context.ts';

/**
 * AUTO_CDC_INVALID_DEFINITION: a table's `pipelines.cdc.tombstoneGCThresholdInSeconds` is not a
 * whole number of seconds ≥ 0 (how long an AUTO CDC target keeps its delete tombstones).
 */
export const tombstoneRetentionIsValid: GraphCheck = {
  name: 'tombstone retention is a number of seconds',
  run(ctx) {
    const out: SluiceError[] = [];
    const lower = TOMBSTONE_RETENTION_PROPERTY.toLowerCase();
    for (const d of ctx.index.datasets.values()) {
      const entry = Object.entries(d.properties).find(([k]) => k.toLowerCase() === lower);
      if (!entry || /^\d+$/.test(entry[1].trim())) continue;
      out.push(
        error(
          'AUTO_CDC_INVALID_DEFINITION',
          `'${d.name}' sets ${entry[0]} = '${entry[1]}', which is not a whole number of seconds`,
          d.name,
          d.location,
          { property: TOMBSTONE_RETENTION_PROPERTY, value: entry[1] },
        ),
      );
    }
    return out;
  },
};
