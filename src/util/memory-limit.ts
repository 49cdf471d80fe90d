/** DuckDB's memory limit when SLUICE_MEMORY_LIMIT does not set one. */
export const DEFAULT_MEMORY_LIMIT = '600MB';

/**
 * The memory DuckDB may use for data (`SLUICE_MEMORY_LIMIT`, in DuckDB's notation: `600MB`,
 * `4GB`, …; default 600 MB). Beyond it, joins, aggregates, sorts and materialized batches spill
 * to a temp folder, so memory stays bounded however large a batch is — a laptop-sized default.
 */
export function memoryLimit(): string {
  return process.env.SLUICE_MEMORY_LIMIT?.trim() || DEFAULT_MEMORY_LIMIT;
}

/** Whether `value` is a size DuckDB's `memory_limit` accepts (a number and a unit: `600MB`, `4 GiB`). */
export function isMemoryLimit(value: string): boolean {
  return /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value.trim());
}
