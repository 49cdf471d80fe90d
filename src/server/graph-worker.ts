/**
 * The worker thread entry of the dashboard's validation (bundled as dist/ui-graph-worker.cjs by
 * scripts/build.js, loaded by bin/graph-worker-loader.cjs): validates and lays out one pipeline,
 * posts one GraphWorkerAnswer and ends. The request comes in `workerData`, or — for the worker
 * bin/sluice.js starts with the process, before it knows what to validate — in the first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tracePhase } from './trace.ts';
import { type GraphWorkerAnswer, type GraphWorkerData, validateGraph } from './validate-graph.ts';

function request(): Promise<GraphWorkerData> {
  const data = workerData as Partial<GraphWorkerData>;
  if (data?.request) return Promise.resolve(data as GraphWorkerData);
  return new Promise((resolve) => parentPort!.once('message', (m: GraphWorkerData) => resolve(m)));
}

async function main(): Promise<void> {
  const prestarted = !(workerData as Partial<GraphWorkerData> | undefined)?.request;
  const data = await request();
  tracePhase(
    `worker started (${Date.now() - data.created} ms after it was asked${prestarted ? ', started with the process' : ''})`,
  );
  let answer: GraphWorkerAnswer;
  try {
    answer = { ok: await validateGraph(data.request) };
  } catch (e) {
    answer = { failed: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(answer);
}

/** Settles once the answer is posted (the loader then saves V8's code cache). */
export const done: Promise<void> = parentPort ? main() : Promise.resolve();
