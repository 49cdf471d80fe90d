/**
 * Named points where a torture test can kill the process (`SLUICE_CRASH_AT=<point>` or
 * `<point>:<flow>`): the process sends itself SIGKILL there, leaving exactly the files a crash
 * at that moment would. Costs one environment lookup when unset.
 */
export type CrashPoint =
  /** A batch's offset is durable; nothing of the batch is read yet. */
  | 'offset-written'
  /** A stateful batch's state is published; its output is neither written nor committed. */
  | 'state-written'
  /** The batch's data files are written; its Delta commit is not. */
  | 'before-commit'
  /** The batch is committed; nothing after it (events, the next batch) has happened. */
  | 'after-commit'
  /** An AUTO CDC batch: its target is committed, its state table is not. */
  | 'cdc-between-commits';

export function crashPoint(point: CrashPoint, flow?: string): void {
  const at = process.env.SLUICE_CRASH_AT;
  if (at === undefined || at === '') return;
  if (at === point || (flow !== undefined && at === `${point}:${flow}`)) process.kill(process.pid, 'SIGKILL');
}
