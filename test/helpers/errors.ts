import assert from 'node:assert/strict';
import type { SluiceError } from '../../src/index.ts';

/** The error `p` rejects with (a test fails when it resolves instead). */
export async function rejects(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    return e as SluiceError;
  }
  assert.fail('expected an error');
}
