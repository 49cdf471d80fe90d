import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { collectRegistrations } from '../../src/api/registry.ts';
import { ROOT } from '../helpers/tmp.ts';

const FILE = join(ROOT, 'test', 'fixtures', 'pipelines', 'api-registration', 'defs.ts');

test("importing a pipeline file (via 'sluice') only registers, with the call site's line", async () => {
  let n = 0;
  const load = () =>
    collectRegistrations(FILE, async () => void (await import(`${pathToFileURL(FILE).href}?t=${++n}`)));
  const regs = await load();
  const lines = readFileSync(FILE, 'utf8').split('\n');
  const lineOf = (call: string) => lines.findIndex((l) => l.startsWith(call)) + 1;
  assert.deepEqual(
    regs.map((r) =>
      r.kind === 'dataset'
        ? `${r.datasetKind}:${r.name}@${r.location?.line}`
        : `flow->${r.target}@${r.location?.line}`,
    ),
    [
      `streaming_table:events@${lineOf('table(')}`,
      `materialized_view:totals@${lineOf('materializedView(')}`,
      `streaming_table:sink@${lineOf('createStreamingTable(')}`,
      `flow->sink@${lineOf('appendFlow(')}`,
    ],
  );
  assert.equal(regs[0]!.location?.file, FILE);
  const events = regs[0]!;
  assert.ok(events.kind === 'dataset');
  assert.deepEqual(
    events.expectations.map((x) => [x.name, x.action]),
    [
      ['has_id', 'warn'],
      ['a', 'warn'],
      ['b', 'warn'],
    ],
  );
  const totals = regs[1]!;
  assert.ok(totals.kind === 'dataset');
  assert.equal(typeof totals.query, 'function');
  assert.deepEqual(
    totals.columns?.map((c) => [c.name, c.type, c.nullable]),
    [
      ['n', 'BIGINT', false],
      ['tags', 'ARRAY<STRING>', true],
    ],
  );
  const flow = regs[3]!;
  assert.ok(flow.kind === 'append_flow' && flow.once);
  // a second load registers again (fresh module instance), and nothing leaks between collections
  assert.equal((await load()).length, 4);
});
