// A writer process for the concurrency and crash tests.
// Usage: appender.ts <tablePath> <appId> <batches> [rowsPerBatch]
// Resumes after the appId's last committed batch (txnVersion), appends batch b with rows
// (writer = appId, batch = b, k = 0..rowsPerBatch-1) and txn {appId, version: b}, and prints
// `ack <batch> <version>` after each commit returns. Prints `ready` once set up.

import { appendRows, txnVersion } from '../../../../src/storage/delta/table.ts';
import { sqlString } from '../../../../src/util/duckdb.ts';
import { connect } from '../../../helpers/session.ts';

const [tablePath, appId, batchesArg, rowsArg] = process.argv.slice(2);
const batches = Number(batchesArg);
const rows = Number(rowsArg ?? 3);
const conn = await connect();
const start = ((await txnVersion(tablePath, appId)) ?? -1) + 1;
process.stdout.write('ready\n');
for (let b = start; b < start + batches; b++) {
  const res = await appendRows(
    conn,
    tablePath,
    `SELECT ${sqlString(appId)} AS writer, ${b}::BIGINT AS batch, k::INTEGER AS k FROM range(${rows}) t(k)`,
    { txn: { appId, version: b } },
  );
  process.stdout.write(`ack ${b} ${res.version} ${res.attempts}\n`);
}
process.stdout.write('done\n');
