/**
 * This process's folder for scratch files: large constants that SQL names instead of holding
 * them in its text (bit-constants.ts).
 *
 * Invariants: the path is fixed for the life of the process; the folder is created on first
 * write and removed when the process exits (a killed process leaves it behind in the system's
 * temporary folder, like DuckDB's spill folder). Files are named by their content's hash, so a
 * name, once written, always holds the same bytes; writers publish them with a rename.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = join(tmpdir(), `sluice-scratch-${process.pid}-${randomUUID().slice(0, 8)}`);
process.once('exit', () => rmSync(DIR, { recursive: true, force: true }));

/** The scratch folder's path (it may not exist yet). */
export function scratchDir(): string {
  return DIR;
}

/**
 * The path of a scratch file holding `bytes` (written now unless this process wrote the same
 * bytes before). `suffix` ends the file name (e.g. `.bin`).
 */
export function scratchFile(bytes: Uint8Array, suffix: string): string {
  const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 40)}${suffix}`;
  const path = join(DIR, name);
  if (existsSync(path)) return path;
  mkdirSync(DIR, { recursive: true });
  const tmp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return path;
}
