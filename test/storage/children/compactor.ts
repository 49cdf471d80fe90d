// A compaction process for the crash test. Usage: compactor.ts <tablePath>
// Prints `ready` once loaded, then compacts the table (every partition with 2+ small files)
// and prints `done <version>`.
import { compactTable } from '../../../src/storage/delta/optimize.ts';
import { session } from '../../helpers/session.ts';

const [tablePath] = process.argv.slice(2);
await session.db.connect().then((c) => c.closeSync());
process.stdout.write('ready\n');
const res = await compactTable(tablePath as string, { db: session.db });
process.stdout.write(`done ${res.version}\n`);
await session.close();
