/**
 * The worker thread entry of the dashboard's validation (bundled as dist/ui-graph-worker.cjs by
 * scripts/build.js): validates and lays out the pipeline of `workerData` (a GraphWorkerData), posts
 * one GraphWorkerAnswer and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tracePhase } from './trace.ts';
import { type GraphWorkerAnswer, type GraphWorkerData, validateGraph } from './validate-graph.ts';

async function main(): Promise<void> {
  const data = workerData as GraphWorkerData;
  tracePhase(`worker started (${Date.now() - data.created} ms after it was created)`);
  let answer: GraphWorkerAnswer;
  try {
    answer = { ok: await validateGraph(data.request) };
  } catch (e) {
    answer = { failed: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(answer);
}

/** Settles once the answer is posted (the loader then saves V8's code cache, see validate-graph.ts). */
export const done: Promise<void> = parentPort ? main() : Promise.resolve();
