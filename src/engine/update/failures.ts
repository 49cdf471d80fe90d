import { isAbsolute, relative, sep } from 'node:path';
import { SluiceError, type SourceLocation, toSluiceError } from '../../errors/index.ts';
import type { BoundQuery, FlowPlan } from '../../graph/index.ts';
import type { Dataset } from '../../model/index.ts';
import { locateInQuery } from '../../sql/index.ts';
import { tableFolder } from '../../storage/index.ts';

/** Decides once, from codes and domains only, whether a failure is worth retrying. */
export function isTransient(e: SluiceError): boolean {
  if (e.domain !== 'external') return false;
  switch (e.code) {
    case 'DELTA_CONCURRENT_MODIFICATION':
    case 'DELTA_CORRUPT_LOG':
    case 'DELTA_CORRUPT_CHECKPOINT':
    case 'DELTA_MISSING_DATA_FILE':
    case 'DISK_FULL':
      return false;
    default:
      return true;
  }
}

/** Where a flow's failure is reported: the pipeline's folders and the flow that failed. */
export interface FailureScope {
  readonly root: string;
  readonly storage: string;
}

/**
 * A failure that escaped a flow, as the error the flow reports — the error contract of every
 * flow: it carries its code, the dataset (the flow's target unless the error names another,
 * e.g. a streaming source that is not append-only) and a source location (the user's text the
 * error is about when it can be found in the flow's query — a column, a regular expression —
 * else the flow's definition). Its message names things as the user wrote them: internal
 * relation names become the inputs they stand for, table folders become table names, and paths
 * are relative to the pipeline folder.
 */
export function flowFailure(e: unknown, f: FlowPlan, scope: FailureScope): SluiceError {
  const err = toSluiceError(e, 'FLOW_EXECUTION_FAILED');
  const message = userNames(err.message, f, scope);
  const location =
    writtenLocation(err, f) ?? err.location ?? tokenLocation(err, f) ?? f.flow.location ?? f.target.location;
  if (message === err.message && err.dataset !== undefined && location === err.location) return err;
  return new SluiceError(err.code, message, {
    dataset: err.dataset ?? f.target.name,
    params: err.params,
    cause: err.cause ?? e,
    domain: err.domain,
    ...(location ? { location } : {}),
  });
}

/** The input each internal relation name of a flow's bound SQL stands for, as the user wrote it. */
function inputNames(b: BoundQuery, out = new Map<string, string>()): Map<string, string> {
  for (const c of b.children) {
    const key = b.key === '' ? String(c.index) : `${b.key}/${c.index}`;
    const name =
      c.kind === 'view'
        ? c.view.name
        : c.leaf.input.kind === 'dataset'
          ? c.leaf.input.name
          : `read_files('${c.leaf.input.path}')`;
    out.set(`__sluice_b_${key.replaceAll('/', '_')}`, name);
    if (c.kind === 'view') inputNames(c.bound, out);
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Rewrites internal names and machine paths in a message (see `flowFailure`). */
function userNames(message: string, f: FlowPlan, scope: FailureScope): string {
  let out = message;
  for (const [internal, name] of inputNames(f.bound)) out = out.replaceAll(internal, name);
  out = out.replace(/__sluice_input_(\d+)/g, (_m, i: string) => {
    const input = f.flow.query.inputs[Number(i)];
    return input?.kind === 'dataset' ? input.name : input ? `read_files('${input.path}')` : 'an input';
  });
  // Table folders → table names; the pipeline folder → relative paths; other absolute paths stay
  // only as their last part.
  for (const d of storedDatasets(f)) {
    out = out.replace(
      new RegExp(`${escapeRegExp(tableFolder(scope.storage, d))}(?=[/\\s'"):,]|$)`, 'g'),
      `table '${d.name}'`,
    );
  }
  out = out.replace(new RegExp(`${escapeRegExp(scope.storage + sep)}`, 'g'), '');
  out = out.replace(new RegExp(`${escapeRegExp(scope.root + sep)}`, 'g'), '');
  out = out.replace(/(^|[\s'"(])(\/[^\s'"():,]+)/g, (_m, pre: string, path: string) =>
    isAbsolute(path) ? `${pre}${relativeOrLast(scope.root, path)}` : `${pre}${path}`,
  );
  return out;
}

function relativeOrLast(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.startsWith(`..${sep}..`) ? path.split(sep).at(-1)! : rel;
}

/** The stored datasets a flow touches: its target, the target's quarantine table and what it reads. */
function storedDatasets(f: FlowPlan): { readonly name: string; readonly schema?: string }[] {
  const quarantine = { ...f.target, name: `${f.target.name}_quarantine` };
  return [f.target, quarantine, ...f.leaves.flatMap((l) => (l.dataset ? [l.dataset] : []))];
}

/**
 * The location translated SQL wrote into a run-time error it raises (`… (file:line:col)` at the
 * end of the message, e.g. a failing cast), when it is in the flow's own file.
 */
function writtenLocation(err: SluiceError, f: FlowPlan): SourceLocation | undefined {
  const m = / \(([^():]+):(\d+)(?::(\d+))?\)$/.exec(err.message);
  const file = f.flow.location?.file ?? f.target.location?.file;
  if (!m || file === undefined || m[1] !== file) return undefined;
  return { file, line: Number(m[2]), ...(m[3] !== undefined ? { column: Number(m[3]) } : {}) };
}

/**
 * Where the column or pattern an error is about is written: in the flow's query (its position),
 * else in one of the expectations the flow evaluates (that expectation).
 */
function tokenLocation(err: SluiceError, f: FlowPlan): SourceLocation | undefined {
  const word = err.params.column ?? err.params.fragment;
  if (typeof word !== 'string' || word === '') return undefined;
  const find = (text: string): number | undefined => {
    const at = /^[A-Za-z_][A-Za-z0-9_]*$/.test(word)
      ? new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(word)}(?![A-Za-z0-9_])`, 'i').exec(text)?.index
      : text.indexOf(word);
    return at === undefined || at < 0 ? undefined : at;
  };
  const at = find(f.flow.query.source);
  if (at !== undefined) return locateInQuery(f.flow.query, at);
  const expectations = [f.target, ...viewsRead(f.bound)].flatMap((d) => d.expectations);
  return expectations.find((x) => find(x.expression) !== undefined)?.location;
}

function viewsRead(b: BoundQuery): Dataset[] {
  return b.children.flatMap((c) => (c.kind === 'view' ? [c.view, ...viewsRead(c.bound)] : []));
}
