import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ProgressView } from '../../src/cli/progress.ts';

function capture(isTTY: boolean) {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += chunk;
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  out.isTTY = isTTY;
  return { out, text: () => text };
}

const events = [
  { kind: 'flow_state', updateId: 'u1', flow: 'bronze', dataset: 'bronze', state: 'RUNNING' },
  {
    kind: 'batch_committed',
    updateId: 'u1',
    flow: 'bronze',
    dataset: 'bronze',
    batchId: 0,
    rows: 1500,
    tableVersion: 1,
  },
  {
    kind: 'batch_committed',
    updateId: 'u1',
    flow: 'bronze',
    dataset: 'bronze',
    batchId: 1,
    rows: 500,
    tableVersion: 2,
  },
] as const;

test('on a TTY, each flow has one live line redrawn in place with rows, batches and rate', () => {
  const prev = process.env.NO_COLOR;
  delete process.env.NO_COLOR;
  try {
    const { out, text } = capture(true);
    const view = new ProgressView(out);
    for (const e of events) view.onEvent(e);
    assert.match(text(), /\x1b\[1A/, 'moves the cursor up to redraw');
    const last = text().split('\x1b[2K').at(-1)!;
    assert.match(last, /bronze\s+RUNNING\s+2,000 rows\s+2 batches\s+[\d,]+ rows\/s/);
  } finally {
    if (prev !== undefined) process.env.NO_COLOR = prev;
  }
});

test('without a TTY, plain lines: one per committed batch, no escape codes', () => {
  const { out, text } = capture(false);
  const view = new ProgressView(out);
  for (const e of events) view.onEvent(e);
  assert.doesNotMatch(text(), /\x1b/);
  assert.match(text(), /flow bronze batch 0: 1,500 rows → version 1\n/);
  assert.match(text(), /flow bronze batch 1: 500 rows → version 2\n/);
});
