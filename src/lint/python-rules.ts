import { basename, sep } from 'node:path';
import {
  callArguments,
  descendants,
  dottedName,
  fieldOf,
  findPythonDefinitions,
  methodCall,
  nodeText,
  PipelineApiNames,
  type PyNode,
  type PythonDefinitions,
  type PythonModule,
  stringValue,
} from '../python/index.ts';
import { tokenize } from '../sql/index.ts';
import type { RawFinding } from './findings.ts';

/**
 * The rules read from Python code (notebooks and files), on tree-sitter's syntax tree:
 * - ST-01: a raw Structured Streaming query (`.writeStream`, or `display()` of a `.readStream`)
 *   outside the pipeline API; one finding per statement;
 * - ST-03: `checkpointLocation` set in pipeline code (the pipeline manages checkpoints), or a raw
 *   stream writer started without one;
 * - ST-06: a `foreachBatch` function (found in the same file, following calls to the file's own
 *   functions) that never writes with MERGE, `DeltaTable.merge` or `txnAppId`/`txnVersion`;
 * - RSS-DEBUG-CODE: `display()`, `.show()`, `.count()` and `.collect()` outside test files
 *   (a grouped `.count()` is an aggregation, not an action).
 */

/** What a Python file is, for rules that look across files (datasets, job tasks). */
export interface PythonFacts {
  readonly definitions: PythonDefinitions;
  /** The file runs a raw stream (a stream writer outside the pipeline API). */
  readonly rawStream: boolean;
}

const DATASET_OR_FLOW = new Set(['table', 'materialized_view', 'temporary_view', 'view', 'append_flow']);
const GROUPING = new Set(['groupBy', 'groupby', 'rollup', 'cube', 'pivot', 'groupByKey']);
const CHECKPOINT = 'checkpointlocation';

/** Files that are tests, not production code: `test_*.py`, `*_test.py`, `conftest.py`, under test(s)/. */
export function isTestFile(file: string): boolean {
  const name = basename(file);
  if (name.startsWith('test_') || name.endsWith('_test.py') || name === 'conftest.py') return true;
  return file.split(sep).some((part) => part === 'test' || part === 'tests');
}

/** Node → parent, for walking up call chains. */
function parents(root: PyNode): Map<PyNode, PyNode> {
  const out = new Map<PyNode, PyNode>();
  for (const n of descendants(root)) for (const c of n.children) out.set(c, n);
  return out;
}

/** The statement holding `n`: its ancestor whose parent is the module or a block. */
function statementOf(n: PyNode, up: Map<PyNode, PyNode>): PyNode {
  let x = n;
  for (let p = up.get(x); p; x = p, p = up.get(x)) if (p.type === 'module' || p.type === 'block') return x;
  return x;
}

function attributeName(m: PythonModule, n: PyNode): string | undefined {
  return n.type === 'attribute' ? nodeText(m, fieldOf(n, 'attribute')!) : undefined;
}

/** Whether `n` is inside one of `regions` (pipeline-API functions). */
function within(n: PyNode, regions: readonly PyNode[]): boolean {
  return regions.some((r) => n.start >= r.start && n.end <= r.end);
}

/** The functions decorated with the pipeline API's dataset or flow decorators. */
function pipelineFunctions(m: PythonModule, api: PipelineApiNames): PyNode[] {
  const out: PyNode[] = [];
  for (const n of descendants(m.root)) {
    if (n.type !== 'decorated_definition') continue;
    const decorated = n.children.some((d) => {
      if (d.type !== 'decorator') return false;
      const e = d.children[0];
      const fn = api.apiFunction(m, e?.type === 'call' ? fieldOf(e, 'function') : e);
      return fn !== undefined && DATASET_OR_FLOW.has(fn);
    });
    if (decorated) out.push(n);
  }
  return out;
}

/** `.option("checkpointLocation", …)`, `.options(checkpointLocation=…)`, `…(checkpointLocation=…)`. */
function setsCheckpoint(m: PythonModule, call: PyNode, method: string): boolean {
  const args = callArguments(m, call);
  if (method === 'option') return stringValue(m, args.positional[0])?.toLowerCase() === CHECKPOINT;
  return [...args.keyword.keys()].some((k) => k.toLowerCase() === CHECKPOINT);
}

/** `spark.conf.set("spark.sql.streaming.checkpointLocation", …)` calls. */
function checkpointConfs(m: PythonModule): PyNode[] {
  const out: PyNode[] = [];
  for (const n of descendants(m.root)) {
    if (n.type !== 'call') continue;
    const name = dottedName(m, fieldOf(n, 'function'));
    if (!name?.endsWith('conf.set')) continue;
    const key = stringValue(m, callArguments(m, n).positional[0]);
    if (key?.toLowerCase() === 'spark.sql.streaming.checkpointlocation') out.push(n);
  }
  return out;
}

/** The method calls chained after `start` (`x.writeStream.a(…).b(…)` → a, b), in order. */
function chainAfter(
  m: PythonModule,
  start: PyNode,
  up: Map<PyNode, PyNode>,
): { name: string; call: PyNode }[] {
  const out: { name: string; call: PyNode }[] = [];
  let x = start;
  for (;;) {
    let p = up.get(x);
    while (p?.type === 'parenthesized_expression') {
      x = p;
      p = up.get(x);
    }
    if (p?.type !== 'attribute' || fieldOf(p, 'object') !== x) return out;
    const call = up.get(p);
    if (call?.type !== 'call' || fieldOf(call, 'function') !== p) return out;
    out.push({ name: attributeName(m, p)!, call });
    x = call;
  }
}

/** Whether SQL text holds a MERGE statement (comments and strings cannot fake one). */
function isMergeSql(sql: string): boolean {
  const tokens = tokenize(sql);
  return tokens.some(
    (t, i) =>
      t.kind === 'word' && t.text.toUpperCase() === 'MERGE' && (i === 0 || tokens[i - 1]!.text === ';'),
  );
}

/** The function definitions of the file by name (the first of a name wins). */
function functionsByName(m: PythonModule): Map<string, PyNode> {
  const out = new Map<string, PyNode>();
  for (const n of descendants(m.root)) {
    if (n.type !== 'function_definition') continue;
    const name = nodeText(m, fieldOf(n, 'name')!);
    if (!out.has(name)) out.set(name, n);
  }
  return out;
}

/**
 * Whether a body writes idempotently: a MERGE through `.sql(…)`, `DeltaTable…merge(…)`, or a
 * write carrying `txnVersion` (Delta's idempotent writes). Calls to the file's own functions
 * are followed.
 */
function idempotent(
  m: PythonModule,
  body: PyNode,
  functions: Map<string, PyNode>,
  seen: Set<PyNode>,
): boolean {
  if (seen.has(body)) return false;
  seen.add(body);
  for (const n of descendants(body)) {
    if (n.type !== 'call') continue;
    const mc = methodCall(m, n);
    const args = callArguments(m, n);
    if (mc?.name === 'merge') return true;
    if (mc?.name === 'sql') {
      const sql = stringValue(m, args.positional[0] ?? args.keyword.get('sqlQuery'));
      if (sql !== undefined && isMergeSql(sql)) return true;
    }
    if (mc?.name === 'option' && stringValue(m, args.positional[0])?.toLowerCase() === 'txnversion')
      return true;
    if (mc?.name === 'options' && args.keyword.has('txnVersion')) return true;
    const fn = fieldOf(n, 'function');
    if (fn?.type === 'identifier') {
      const callee = functions.get(nodeText(m, fn));
      if (callee && idempotent(m, callee, functions, seen)) return true;
    }
  }
  return false;
}

function foreachBatchFindings(
  m: PythonModule,
  file: string,
  call: PyNode,
  functions: Map<string, PyNode>,
): RawFinding[] {
  const target = callArguments(m, call).positional[0];
  if (!target) return [];
  let body: PyNode | undefined;
  let label: string;
  if (target.type === 'identifier') {
    label = nodeText(m, target);
    body = functions.get(label);
    if (!body) return []; // defined in another module: nothing to read here
    label = `'${label}' (line ${body.line})`;
  } else if (target.type === 'lambda') {
    body = target;
    label = 'the lambda';
  } else return [];
  if (idempotent(m, body, functions, new Set())) return [];
  return [
    {
      rule: 'ST-06',
      message: `foreachBatch function ${label} writes each micro-batch without MERGE or txnAppId/txnVersion: a replayed batch writes its rows twice`,
      file,
      line: target.line,
      column: target.column,
    },
  ];
}

/** The debug calls of a file (RSS-DEBUG-CODE). */
function debugFindings(m: PythonModule, file: string): RawFinding[] {
  const out: RawFinding[] = [];
  for (const n of descendants(m.root)) {
    if (n.type !== 'call') continue;
    const fn = fieldOf(n, 'function');
    const args = callArguments(m, n);
    const noArgs = args.positional.length === 0 && args.keyword.size === 0;
    if (fn?.type === 'identifier' && nodeText(m, fn) === 'display') {
      out.push({
        rule: 'RSS-DEBUG-CODE',
        message: 'display() in production code runs the query to show it',
        file,
        line: n.line,
        column: n.column,
      });
      continue;
    }
    const mc = methodCall(m, n);
    if (!mc) continue;
    const receiverMethod = methodCall(m, mc.receiver)?.name;
    const at = fieldOf(fn!, 'attribute')!;
    const found = (what: string) =>
      out.push({
        rule: 'RSS-DEBUG-CODE',
        message: `${what} in production code`,
        file,
        line: at.line,
        column: at.column,
      });
    if (mc.name === 'show') found('.show() prints rows: it runs a Spark job');
    else if (mc.name === 'collect' && noArgs) found('.collect() pulls every row to the driver');
    else if (mc.name === 'count' && noArgs && !(receiverMethod && GROUPING.has(receiverMethod)))
      found('.count() runs a full Spark job');
  }
  return out;
}

/**
 * Lints one parsed Python file. `file` is the absolute path findings carry.
 * Returns the findings and the facts other rules need (datasets, whether it streams raw).
 */
export function lintPython(m: PythonModule, file: string): { findings: RawFinding[]; facts: PythonFacts } {
  const api = new PipelineApiNames(m);
  const definitions = findPythonDefinitions(m, api);
  const regions = pipelineFunctions(m, api);
  let parentMap: Map<PyNode, PyNode> | undefined;
  const up = (): Map<PyNode, PyNode> => (parentMap ??= parents(m.root));
  const functions = functionsByName(m);
  const findings: RawFinding[] = [];
  const rawStatements = new Set<PyNode>();
  let rawStream = false;
  const confs = checkpointConfs(m);

  for (const n of descendants(m.root)) {
    const attr = attributeName(m, n);
    if (attr === 'writeStream' && !within(n, regions)) {
      rawStream = true;
      const statement = statementOf(n, up());
      if (!rawStatements.has(statement)) {
        rawStatements.add(statement);
        // Report at the statement's first stream access (its readStream when it has one).
        const first = [...descendants(statement)]
          .filter((x) => {
            const a = attributeName(m, x);
            return a === 'readStream' || a === 'writeStream';
          })
          .reduce((a, b) => (fieldOf(b, 'attribute')!.start < fieldOf(a, 'attribute')!.start ? b : a));
        const at = fieldOf(first, 'attribute')!;
        findings.push({
          rule: 'ST-01',
          message: 'raw Structured Streaming query (readStream/writeStream) outside a Lakeflow pipeline',
          file,
          line: at.line,
          column: at.column,
        });
      }
      const chain = chainAfter(m, n, up());
      for (const link of chain)
        if (link.name === 'foreachBatch')
          findings.push(...foreachBatchFindings(m, file, link.call, functions));
      const started = chain.some((l) => l.name === 'start' || l.name === 'toTable');
      const checkpoint = chain.some((l) => setsCheckpoint(m, l.call, l.name)) || confs.length > 0;
      if (started && !checkpoint) {
        const at = fieldOf(n, 'attribute')!;
        findings.push({
          rule: 'ST-03',
          message: 'stream writer started without a checkpointLocation: a restart reprocesses or loses data',
          file,
          line: at.line,
          column: at.column,
        });
      }
    } else if (n.type === 'call' && within(n, regions)) {
      const mc = methodCall(m, n);
      if (mc && (mc.name === 'option' || mc.name === 'options') && setsCheckpoint(m, n, mc.name))
        findings.push({
          rule: 'ST-03',
          message: 'checkpointLocation set in pipeline code: the pipeline manages checkpoints itself',
          file,
          line: n.line,
          column: n.column,
        });
    } else if (n.type === 'call' && fieldOf(n, 'function')?.type === 'identifier') {
      // display(spark.readStream…) starts a raw stream in a notebook.
      if (nodeText(m, fieldOf(n, 'function')!) !== 'display' || within(n, regions)) continue;
      const reads = [...descendants(n)].find((x) => attributeName(m, x) === 'readStream');
      const statement = statementOf(n, up());
      if (reads && !rawStatements.has(statement)) {
        rawStatements.add(statement);
        rawStream = true;
        const at = fieldOf(reads, 'attribute')!;
        findings.push({
          rule: 'ST-01',
          message:
            'display() of a readStream runs a raw Structured Streaming query outside a Lakeflow pipeline',
          file,
          line: at.line,
          column: at.column,
        });
      }
    }
  }
  if (definitions.usesPipelineApi)
    for (const c of confs)
      findings.push({
        rule: 'ST-03',
        message:
          'spark.sql.streaming.checkpointLocation set in pipeline code: the pipeline manages checkpoints itself',
        file,
        line: c.line,
        column: c.column,
      });
  if (!isTestFile(file)) findings.push(...debugFindings(m, file));
  return { findings, facts: { definitions, rawStream } };
}
