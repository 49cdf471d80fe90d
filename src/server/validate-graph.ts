/**
 * Validating a pipeline for the dashboard: the graph JSON (laid out) and what it was read from.
 * In the bundled CLI it runs on a worker thread of this process (dist/ui-graph-worker.cjs, see
 * graph-worker.ts), so the server's thread keeps answering the page, its assets and the event
 * log's status while the pipeline is parsed and checked; from the TypeScript sources (tests,
 * the programmatic API through tsx), or when the worker cannot run, it runs on this thread.
 * Either way the validation is this process's own: which source files may be served comes from
 * it, never from a file on disk.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type BundleSelection, SluiceError, validatePipeline } from '../index.ts';
import type { GraphJson, GraphLayoutJson } from './dashboard-types.ts';
import { graphJson } from './graph-json.ts';

/** What to validate; `previous` is the layout to reuse when the nodes and edges did not change. */
export interface GraphRequest {
  readonly dir: string;
  readonly cwd: string;
  readonly bundle: BundleSelection;
  readonly previous?: GraphLayoutJson;
  /** Bind each query against its inputs' known schemas (default true; see `validatePipeline`). */
  readonly bind?: boolean;
}

/** A validated graph and the files it was read from (absolute paths). */
export interface ValidatedGraph {
  readonly graph: GraphJson;
  /** The spec's folder (dataset locations are relative to it); undefined for an unloadable spec. */
  readonly root: string | undefined;
  /** The pipeline's library files: the only source files the dashboard serves. */
  readonly files: readonly string[];
  /** What the graph cache's fingerprint covers: the spec, the library files and their folders. */
  readonly paths: readonly string[];
}

/** Validates and lays out the pipeline on this thread. */
export async function validateGraph(request: GraphRequest): Promise<ValidatedGraph> {
  const result = await validatePipeline(request.dir, {
    cwd: request.cwd,
    ...request.bundle,
    bindQueries: request.bind ?? true,
  });
  const paths = new Set<string>();
  const root = result.spec?.root;
  if (result.spec && root) {
    paths.add(result.spec.specFile);
    paths.add(root);
    for (const f of result.files) {
      const abs = resolve(root, f);
      paths.add(abs);
      paths.add(dirname(abs));
    }
  }
  return {
    graph: graphJson(result, request.cwd, request.previous),
    root,
    files: root ? result.files.map((f) => resolve(root, f)) : [],
    paths: [...paths],
  };
}

/**
 * The worker's loader (bin/graph-worker-loader.cjs, which loads dist/ui-graph-worker.cjs with its
 * V8 code cache); undefined when running from the sources.
 */
function workerLoader(): string | undefined {
  const here = import.meta.url;
  if (!here.endsWith('.cjs')) return undefined;
  const loader = fileURLToPath(new URL('../bin/graph-worker-loader.cjs', here));
  const bundle = fileURLToPath(new URL('./ui-graph-worker.cjs', here));
  return existsSync(loader) && existsSync(bundle) ? loader : undefined;
}

/** Where bin/sluice.js leaves the worker it started with the process (`sluice ui` only). */
const PRESTARTED = Symbol.for('sluice.graphWorker');

/**
 * The worker bin/sluice.js started before the CLI loaded, if it is still alive; taken once (the
 * first validation of the process uses it, later ones start their own).
 */
function takePrestarted(): Worker | undefined {
  const slot = globalThis as unknown as Record<symbol, Worker | undefined>;
  const worker = slot[PRESTARTED];
  slot[PRESTARTED] = undefined;
  return worker && worker.threadId >= 0 ? worker : undefined;
}

/** What a worker is given: the request, and when it was asked (for SLUICE_UI_TIMING). */
export interface GraphWorkerData {
  readonly request: GraphRequest;
  readonly created: number;
}

/** A worker's answer (see graph-worker.ts). */
export type GraphWorkerAnswer = { readonly ok: ValidatedGraph } | { readonly failed: string };

/**
 * Validates on a worker thread when the bundled worker is there (see the module comment), else
 * on this thread. A worker that fails in any way (cannot start, throws, exits early) is not
 * trusted to have said why: the validation runs again here, which throws the real error.
 * `track` is given the worker so its owner can stop it on close; once `stopped()` says so, a
 * worker that ends without an answer was stopped: nothing runs again (UI_CLOSED is thrown).
 * @throws SluiceError UI_CLOSED, or what validating the pipeline throws
 */
export function validateGraphOffThread(
  request: GraphRequest,
  owner: { track(worker: Worker): () => void; stopped(): boolean },
): Promise<ValidatedGraph> {
  const loader = workerLoader();
  if (!loader) return validateGraph(request);
  return new Promise<ValidatedGraph | undefined>((done) => {
    const data: GraphWorkerData = { request, created: Date.now() };
    let worker: Worker;
    const prestarted = takePrestarted();
    try {
      if (prestarted) {
        worker = prestarted;
        worker.ref();
        worker.postMessage(data);
      } else worker = new Worker(loader, { workerData: data, stdout: false, stderr: false });
    } catch {
      done(undefined);
      return;
    }
    const untrack = owner.track(worker);
    let answered = false;
    worker.once('message', (m: GraphWorkerAnswer) => {
      answered = true;
      done('ok' in m ? m.ok : undefined);
    });
    worker.once('error', () => done(undefined));
    worker.once('exit', () => {
      untrack();
      if (!answered) done(undefined);
    });
  }).then((v) => {
    if (v) return v;
    if (owner.stopped()) throw new SluiceError('UI_CLOSED', 'the dashboard closed while validating');
    return validateGraph(request);
  });
}
