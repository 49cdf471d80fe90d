import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from '../helpers/session.ts';

test('a group key is monotone in one column only through order-keeping casts and functions', async () => {
  const rewrite = await session.sql.groupAggregateRewrite(
    `SELECT date_trunc('hour', ts) AS h, CAST(n AS DOUBLE) AS d, TRY_CAST(s AS DATE) AS day, kind, count(*) AS c
     FROM events GROUP BY date_trunc('hour', ts), CAST(n AS DOUBLE), TRY_CAST(s AS DATE), kind`,
    ['ts', 'n', 's', 'kind'],
    '__keys',
  );
  assert.ok(!('reason' in rewrite), JSON.stringify(rewrite));
  // TRY_CAST turns values it cannot convert into NULL, so its keys are not bounded by statistics
  assert.deepEqual(rewrite.monotoneColumns, ['ts', 'n', undefined, 'kind']);
});
