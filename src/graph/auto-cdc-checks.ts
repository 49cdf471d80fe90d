import type { SluiceError } from '../errors/index.ts';
import type { AutoCdc, Flow } from '../model/index.ts';
import { error, flowLocation, type GraphCheck } from './check-context.ts';

/**
 * AUTO_CDC_INVALID_DEFINITION: an AUTO CDC flow writes a streaming table that no other flow
 * writes (its rows are the replay of the change events, nothing else's), and its keys are among
 * the columns it writes. UNSUPPORTED_SQL_SYNTAX (that dataset only): expectations on its target.
 */
export const autoCdcFlowsAreSound: GraphCheck = {
  name: 'AUTO CDC flows are sound',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const f of ctx.index.flows) {
      const cdc = f.cdc ?? f.snapshotCdc;
      if (cdc === undefined) continue;
      const target = ctx.index.datasets.get(f.target);
      const at = flowLocation(ctx, f);
      if (target && target.kind !== 'streaming_table') {
        out.push(
          error(
            'AUTO_CDC_INVALID_DEFINITION',
            `AUTO CDC flow '${f.name}' writes ${target.kind.replace('_', ' ')} '${target.name}'; its target must be a streaming table (CREATE STREAMING TABLE ${target.name})`,
            f.target,
            at,
            { flow: f.name },
          ),
        );
      }
      const others = (ctx.index.flowsByTarget.get(f.target) ?? []).filter((o: Flow) => o.name !== f.name);
      if (target?.kind === 'streaming_table' && others.length > 0) {
        out.push(
          error(
            'AUTO_CDC_INVALID_DEFINITION',
            `streaming table '${f.target}' is written by AUTO CDC flow '${f.name}' and by ${others.map((o) => `'${o.name}'`).join(', ')}; an AUTO CDC target takes exactly one flow`,
            f.target,
            at,
            { flow: f.name },
          ),
        );
      }
      if (target && target.expectations.length > 0) {
        out.push(
          error(
            'UNSUPPORTED_SQL_SYNTAX',
            `expectations on AUTO CDC target '${target.name}' are not supported yet (sluice would have to check them on the change events); move them to the source of the changes`,
            f.target,
            target.expectations[0]!.location ?? at,
            { construct: 'CONSTRAINT … EXPECT on an AUTO CDC target', flow: f.name },
          ),
        );
      }
      const missing = cdc.kind === 'auto_cdc' ? cdc.keys.filter((k) => !selects(cdc.columns, k)) : [];
      if (missing.length > 0) {
        out.push(
          error(
            'AUTO_CDC_INVALID_DEFINITION',
            `AUTO CDC flow '${f.name}' does not write its key column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (COLUMNS leaves ${missing.length > 1 ? 'them' : 'it'} out)`,
            f.target,
            at,
            { flow: f.name, columns: missing },
          ),
        );
      }
    }
    return out;
  },
};

/** Whether a COLUMNS selection (absent: every column) keeps `column` (case-insensitively). */
function selects(sel: AutoCdc['columns'], column: string): boolean {
  if (sel === undefined) return true;
  const named = sel.columns.some((c) => c.toLowerCase() === column.toLowerCase());
  return sel.kind === 'include' ? named : !named;
}
