import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toSluiceError } from '../../src/errors/index.ts';
import { connect } from '../helpers/session.ts';

test("DuckDB's out-of-memory error becomes OUT_OF_MEMORY naming SLUICE_MEMORY_LIMIT; other errors keep the fallback code", async () => {
  const conn = await connect();
  try {
    // A real DuckDB failure of that class: a limit below what the query needs at once.
    await conn.run(`SET memory_limit = '1MB'`);
    const failure = await conn.run('SELECT list(range) FROM range(1000000)').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failure instanceof Error, 'DuckDB should refuse the query');
    const err = toSluiceError(failure, 'FLOW_EXECUTION_FAILED');
    assert.equal(err.code, 'OUT_OF_MEMORY');
    assert.equal(err.domain, 'user');
    assert.match(err.message, /SLUICE_MEMORY_LIMIT \(now 600MB\)/);
  } finally {
    await conn.run(`SET memory_limit = '600MB'`);
    conn.closeSync();
  }
  const other = toSluiceError(new Error('Binder Error: no column x'), 'FLOW_EXECUTION_FAILED');
  assert.equal(other.code, 'FLOW_EXECUTION_FAILED');
});
