import type { FlowPlan } from '../../graph/index.ts';
import type { FlowState } from '../engine-events.ts';

/** What the scheduler needs back from running one flow. */
export type FlowRunner = (flow: FlowPlan) => Promise<FlowState>;

/**
 * Runs flows in dependency order, at most `concurrency` at once: a flow starts when every flow
 * writing one of its upstream datasets has finished. A flow whose upstream writer FAILED or was
 * SKIPPED is not run: `onSkip` reports it SKIPPED with the failed flow's name. Excluded flows
 * (not selected for this update) count as finished — their tables are read as they are.
 */
export async function runScheduled(
  flows: readonly FlowPlan[],
  concurrency: number,
  run: FlowRunner,
  onSkip: (flow: FlowPlan, because: string) => Promise<void>,
): Promise<Map<FlowPlan, FlowState>> {
  const states = new Map<FlowPlan, FlowState>();
  const writers = new Map<string, FlowPlan[]>();
  for (const f of flows) writers.set(f.target.name, [...(writers.get(f.target.name) ?? []), f]);
  const upstreamOf = (f: FlowPlan) =>
    f.upstream.filter((u) => u !== f.target.name).flatMap((u) => writers.get(u) ?? []);
  const blame = new Map<FlowPlan, string>();

  const pending = new Set(flows);
  const running = new Map<FlowPlan, Promise<void>>();
  while (pending.size > 0 || running.size > 0) {
    let progressed = false;
    for (const f of [...pending]) {
      const ups = upstreamOf(f);
      if (ups.some((u) => !states.has(u))) continue;
      const bad = ups.find((u) => states.get(u) === 'FAILED' || states.get(u) === 'SKIPPED');
      if (bad) {
        pending.delete(f);
        const because = blame.get(bad) ?? bad.flow.name;
        blame.set(f, because);
        states.set(f, 'SKIPPED');
        await onSkip(f, because);
        progressed = true;
        continue;
      }
      if (running.size >= concurrency) break;
      pending.delete(f);
      progressed = true;
      const p = run(f).then(
        (s) => {
          states.set(f, s);
        },
        () => {
          states.set(f, 'FAILED');
        },
      );
      running.set(
        f,
        p.finally(() => running.delete(f)),
      );
    }
    if (!progressed || running.size >= concurrency || pending.size === 0) {
      if (running.size === 0) {
        if (pending.size > 0 && !progressed) {
          // Unreachable for a validated (acyclic) plan; fail the rest rather than spin.
          for (const f of pending) states.set(f, 'SKIPPED');
          break;
        }
        continue;
      }
      await Promise.race(running.values());
    }
  }
  return states;
}
