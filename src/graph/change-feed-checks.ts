import type { SluiceError } from '../errors/index.ts';
import { isStored, type QueryInput } from '../model/index.ts';
import { type CheckContext, error, flowLocation, type GraphCheck } from './check-context.ts';
import type { ResolvedFlow } from './types.ts';

/** The reader options a streaming dataset read may carry (lower case). */
const KNOWN_OPTIONS = new Set(['readchangefeed', 'startingversion', 'skipchangecommits']);

/**
 * The reader options of streaming dataset reads (`STREAM(x) WITH (…)`, `stream('x', {…})`):
 * - only `readChangeFeed`, `startingVersion` (with `readChangeFeed`) and `skipChangeCommits`
 *   are read, with boolean / non-negative integer or `latest` values; any other option or value
 *   would silently read other rows than Spark, so it is STREAM_READ_OPTION_UNSUPPORTED;
 * - a change data feed is read from a stored dataset (not a view), never with
 *   `skipChangeCommits`, and only from a table whose TBLPROPERTIES set
 *   `delta.enableChangeDataFeed = true` (DELTA_CDF_NOT_ENABLED naming the table and the property).
 */
export const streamReadOptionsAreSound: GraphCheck = {
  name: 'streaming read options are sound',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const r of ctx.resolutions.values()) {
      if (r.kind !== 'resolved_flow') continue;
      r.flow.query.inputs.forEach((input, i) => {
        if (input.kind === 'dataset' && input.options) checkRead(ctx, r, input, i, out);
        if (input.kind === 'dataset' && input.changes)
          checkFeedWritten(ctx, r, input, i, 'table_changes', out);
      });
    }
    return out;
  },
};

function checkRead(
  ctx: CheckContext,
  r: ResolvedFlow,
  input: Extract<QueryInput, { kind: 'dataset' }>,
  i: number,
  out: SluiceError[],
): void {
  const at = input.location ?? flowLocation(ctx, r.flow);
  const refuse = (option: string, why: string) =>
    out.push(
      error('STREAM_READ_OPTION_UNSUPPORTED', `the streaming read of '${input.name}' ${why}`, r.target, at, {
        option,
        input: input.name,
      }),
    );
  const options = new Map(Object.entries(input.options ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  for (const k of Object.keys(input.options ?? {})) {
    if (!KNOWN_OPTIONS.has(k.toLowerCase()))
      refuse(
        k,
        `has option '${k}', which sluice does not read (readChangeFeed, startingVersion and skipChangeCommits are)`,
      );
  }
  for (const k of ['readchangefeed', 'skipchangecommits']) {
    const v = options.get(k);
    if (v !== undefined && !/^(true|false)$/i.test(v))
      refuse(k, `has ${k} = '${v}', which is not true or false`);
  }
  const cdf = /^true$/i.test(options.get('readchangefeed') ?? '');
  const start = options.get('startingversion');
  if (start !== undefined && !cdf)
    refuse(
      'startingVersion',
      'has startingVersion without readChangeFeed; sluice reads a table stream from its start (only a change data feed read takes a starting version)',
    );
  if (start !== undefined && !/^(\d+|latest)$/i.test(start))
    refuse(
      'startingVersion',
      `has startingVersion = '${start}', which is not a table version (an integer ≥ 0) or 'latest'`,
    );
  if (!cdf) return;
  if (r.once)
    refuse(
      'readChangeFeed',
      'reads the change data feed in a one-time flow (INSERT INTO ONCE), which reads batches; read it in a streaming flow',
    );
  if (/^true$/i.test(options.get('skipchangecommits') ?? ''))
    refuse(
      'skipChangeCommits',
      'reads the change data feed, whose change commits are its rows: skipChangeCommits does not apply',
    );
  checkFeedWritten(ctx, r, input, i, 'readChangeFeed', out);
}

/**
 * A read of `input`'s change data feed (`readChangeFeed`, `table_changes`) reads a stored
 * dataset that writes one (TBLPROPERTIES delta.enableChangeDataFeed = true).
 */
function checkFeedWritten(
  ctx: CheckContext,
  r: ResolvedFlow,
  input: Extract<QueryInput, { kind: 'dataset' }>,
  i: number,
  how: 'readChangeFeed' | 'table_changes',
  out: SluiceError[],
): void {
  const at = input.location ?? flowLocation(ctx, r.flow);
  const what =
    how === 'table_changes' ? `table_changes('${input.name}', …)` : `the streaming read of '${input.name}'`;
  const resolved = r.inputs[i];
  const d = resolved?.kind === 'dataset' ? ctx.index.datasets.get(resolved.dataset) : undefined;
  if (!d) return;
  if (!isStored(d)) {
    out.push(
      error(
        'STREAM_READ_OPTION_UNSUPPORTED',
        `${what} reads the change data feed of view '${d.name}'; only tables have one`,
        r.target,
        at,
        { option: how, input: input.name },
      ),
    );
    return;
  }
  const enabled = Object.entries(d.properties).find(
    ([k]) => k.toLowerCase() === 'delta.enablechangedatafeed',
  )?.[1];
  if (!/^true$/i.test(enabled ?? '')) {
    out.push(
      error(
        'DELTA_CDF_NOT_ENABLED',
        `${what} reads the change data feed of table '${d.name}', which it does not write: set TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true') on '${d.name}' (and fully refresh it to have every change recorded)`,
        r.target,
        at,
        { table: d.name, property: 'delta.enableChangeDataFeed' },
      ),
    );
  }
}
