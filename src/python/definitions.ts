import {
  callArguments,
  descendants,
  dictEntries,
  dottedName,
  fieldOf,
  nodeText,
  type PyNode,
  type PythonModule,
  stringValue,
} from './syntax.ts';

/**
 * What a Python pipeline file declares through the Lakeflow Python API (`dlt`, or
 * `pyspark.pipelines` imported as `dp`), found from its syntax alone: nothing is evaluated.
 */

/** The kind of dataset a Python definition declares. */
export type PythonDatasetKind = 'streaming_table' | 'materialized_view' | 'temporary_view';

/** What an expectation does with a failing row (`expect` → warn, `expect_or_drop` → drop, …). */
export type PythonExpectationAction = 'warn' | 'drop' | 'fail';

export interface PythonExpectation {
  readonly name: string;
  readonly action: PythonExpectationAction;
  readonly line: number;
}

/** A dataset or flow input named in a query: `dlt.read_stream("x")`, `spark.read.table("x")`, … */
export interface PythonRead {
  readonly name: string;
  readonly streaming: boolean;
  readonly line: number;
}

/** Where a definition is: its decorator (or call), 1-based. */
export interface PythonPosition {
  readonly line: number;
  readonly column: number;
}

/** A dataset a Python file declares. */
export interface PythonDataset {
  readonly name: string;
  readonly kind: PythonDatasetKind;
  /** `decorator`: `@dp.table`-style on a function; `call`: `dp.create_streaming_table(…)`. */
  readonly declaredBy: 'decorator' | 'call';
  /** The API function used (`table`, `materialized_view`, `create_streaming_table`, …). */
  readonly api: string;
  /** The decorated function's name (decorators only). */
  readonly function?: string;
  readonly position: PythonPosition;
  readonly expectations: readonly PythonExpectation[];
  /** `table_properties={…}` entries with literal string keys and scalar values. */
  readonly properties: Readonly<Record<string, string>>;
  readonly reads: readonly PythonRead[];
}

/** A flow into a dataset declared elsewhere: `@dp.append_flow(target=…)`, AUTO CDC flows. */
export interface PythonFlow {
  readonly name: string;
  readonly target: string;
  readonly api: string;
  readonly function?: string;
  readonly position: PythonPosition;
  readonly reads: readonly PythonRead[];
}

export interface PythonDefinitions {
  readonly datasets: readonly PythonDataset[];
  readonly flows: readonly PythonFlow[];
  /** Whether the file uses the pipeline API at all (imports it, or calls it as `dlt`/`dp`). */
  readonly usesPipelineApi: boolean;
}

/** The modules of the Lakeflow Python API. */
const PIPELINE_MODULES = ['dlt', 'pyspark.pipelines'] as const;

const DATASET_DECORATORS: Readonly<Record<string, PythonDatasetKind | 'by_query'>> = {
  table: 'by_query',
  materialized_view: 'materialized_view',
  temporary_view: 'temporary_view',
  view: 'temporary_view',
};
const FLOW_DECORATORS = new Set(['append_flow']);
const STREAMING_TABLE_CALLS = new Set([
  'create_streaming_table',
  'create_streaming_live_table',
  'create_target_table',
]);
const CDC_FLOW_CALLS = new Set([
  'create_auto_cdc_flow',
  'apply_changes',
  'create_auto_cdc_from_snapshot_flow',
  'apply_changes_from_snapshot',
]);
const EXPECTATIONS: Readonly<Record<string, { all: boolean; action: PythonExpectationAction }>> = {
  expect: { all: false, action: 'warn' },
  expect_or_drop: { all: false, action: 'drop' },
  expect_or_fail: { all: false, action: 'fail' },
  expect_all: { all: true, action: 'warn' },
  expect_all_or_drop: { all: true, action: 'drop' },
  expect_all_or_fail: { all: true, action: 'fail' },
};

/**
 * How names in the file reach the pipeline API: `import dlt`, `from pyspark import pipelines as
 * dp`, `import pyspark.pipelines as dp`, `from dlt import table, expect`, `from dlt import *`.
 * `dlt` and `dp` count as the API unless the file binds them to something else (notebook
 * cells often use a module imported by an earlier cell).
 */
export class PipelineApiNames {
  readonly #modules = new Map<string, string>([
    ['dlt', 'dlt'],
    ['dp', 'pyspark.pipelines'],
  ]);
  readonly #functions = new Map<string, string>();
  #wildcard = false;
  #imported = false;

  constructor(m: PythonModule) {
    for (const s of m.root.children) {
      if (s.type === 'import_statement') this.#importStatement(m, s);
      else if (s.type === 'import_from_statement') this.#importFrom(m, s);
    }
  }

  /** Whether the file imports the pipeline API. */
  get imported(): boolean {
    return this.#imported;
  }

  /** The API function a callee names (`table` for `dp.table`), or undefined. */
  apiFunction(m: PythonModule, callee: PyNode | undefined): string | undefined {
    const name = dottedName(m, callee);
    if (name === undefined) return undefined;
    const dot = name.lastIndexOf('.');
    if (dot < 0) {
      const imported = this.#functions.get(name);
      if (imported !== undefined) return imported;
      return this.#wildcard && isApiName(name) ? name : undefined;
    }
    const prefix = name.slice(0, dot);
    const first = prefix.split('.')[0]!;
    const module = this.#modules.get(first);
    const full = module !== undefined ? `${module}${prefix.slice(first.length)}` : prefix;
    return (PIPELINE_MODULES as readonly string[]).includes(full) ? name.slice(dot + 1) : undefined;
  }

  #importStatement(m: PythonModule, s: PyNode): void {
    for (const c of s.children) {
      const aliased = c.type === 'aliased_import';
      const module = nodeText(m, aliased ? fieldOf(c, 'name')! : c);
      const local = aliased ? nodeText(m, fieldOf(c, 'alias')!) : module.split('.')[0]!;
      if ((PIPELINE_MODULES as readonly string[]).includes(module)) this.#imported = true;
      if (aliased || !module.includes('.')) this.#modules.set(local, module);
    }
  }

  #importFrom(m: PythonModule, s: PyNode): void {
    const moduleNode = fieldOf(s, 'module_name');
    if (!moduleNode) return;
    const module = nodeText(m, moduleNode);
    for (const c of s.children) {
      if (c === moduleNode) continue;
      if (c.type === 'wildcard_import') {
        if ((PIPELINE_MODULES as readonly string[]).includes(module)) {
          this.#wildcard = true;
          this.#imported = true;
        }
        continue;
      }
      const aliased = c.type === 'aliased_import';
      const name = nodeText(m, aliased ? fieldOf(c, 'name')! : c);
      const local = aliased ? nodeText(m, fieldOf(c, 'alias')!) : name;
      const full = `${module}.${name}`;
      if ((PIPELINE_MODULES as readonly string[]).includes(full)) {
        this.#modules.set(local, full);
        this.#imported = true;
      } else if ((PIPELINE_MODULES as readonly string[]).includes(module)) {
        this.#functions.set(local, name);
        this.#imported = true;
      } else {
        // Something else bound to a name the defaults use: it is not the API.
        this.#modules.delete(local);
      }
    }
  }
}

function isApiName(name: string): boolean {
  return (
    name in DATASET_DECORATORS ||
    FLOW_DECORATORS.has(name) ||
    STREAMING_TABLE_CALLS.has(name) ||
    CDC_FLOW_CALLS.has(name) ||
    name in EXPECTATIONS ||
    name === 'read' ||
    name === 'read_stream'
  );
}

/** The decorator's callee and its call node (`@dp.table` has no call). */
function decoratorParts(d: PyNode): { callee: PyNode | undefined; call: PyNode | undefined } {
  const expr = d.children[0];
  if (expr?.type === 'call') return { callee: fieldOf(expr, 'function'), call: expr };
  return { callee: expr, call: undefined };
}

function expectationsOf(
  m: PythonModule,
  fn: string,
  call: PyNode | undefined,
  line: number,
  action?: PythonExpectationAction,
): PythonExpectation[] {
  const spec = EXPECTATIONS[fn];
  if (!spec || !call) return [];
  const args = callArguments(m, call);
  const act = action ?? spec.action;
  if (!spec.all) {
    const name = stringValue(m, args.positional[0] ?? args.keyword.get('name'));
    return [{ name: name ?? '(unnamed)', action: act, line }];
  }
  const dict = args.positional[0] ?? args.keyword.get('expectations');
  const entries = dictEntries(m, dict);
  // A dict built elsewhere still declares expectations; their names are unknown.
  return entries.length > 0
    ? entries.map(([name]) => ({ name, action: act, line }))
    : [{ name: '(dynamic)', action: act, line }];
}

function scalarText(m: PythonModule, n: PyNode): string | undefined {
  const s = stringValue(m, n);
  if (s !== undefined) return s;
  if (n.type === 'true') return 'true';
  if (n.type === 'false') return 'false';
  if (n.type === 'integer' || n.type === 'float') return nodeText(m, n);
  return undefined;
}

function propertiesOf(m: PythonModule, n: PyNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of dictEntries(m, n)) {
    const s = scalarText(m, v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/**
 * The datasets and flows a query body reads: the pipeline API's `read`/`read_stream`, and
 * `spark.read.table`, `spark.readStream.table`, `spark.table` with a literal name.
 */
export function readsIn(m: PythonModule, api: PipelineApiNames, body: PyNode): PythonRead[] {
  const out: PythonRead[] = [];
  for (const n of descendants(body)) {
    if (n.type !== 'call') continue;
    const callee = fieldOf(n, 'function');
    const fn = api.apiFunction(m, callee);
    const args = callArguments(m, n);
    const first = stringValue(m, args.positional[0] ?? args.keyword.get('name'));
    if (fn === 'read' || fn === 'read_stream') {
      if (first !== undefined) out.push({ name: first, streaming: fn === 'read_stream', line: n.line });
      continue;
    }
    if (callee?.type !== 'attribute' || first === undefined) continue;
    const method = nodeText(m, fieldOf(callee, 'attribute')!);
    if (method !== 'table') continue;
    const receiver = fieldOf(callee, 'object')!;
    if (chainHasAttribute(m, receiver, 'readStream'))
      out.push({ name: first, streaming: true, line: n.line });
    else if (chainHasAttribute(m, receiver, 'read') || dottedName(m, receiver) === 'spark')
      out.push({ name: first, streaming: false, line: n.line });
  }
  return out;
}

/**
 * Whether a call chain (`spark.readStream.format("delta")`) passes through attribute `name`:
 * follows `object` of attributes and `function` of calls down to the chain's start.
 */
export function chainHasAttribute(m: PythonModule, n: PyNode | undefined, name: string): boolean {
  for (let x = n; x; ) {
    if (x.type === 'attribute') {
      if (nodeText(m, fieldOf(x, 'attribute')!) === name) return true;
      x = fieldOf(x, 'object');
    } else if (x.type === 'call') x = fieldOf(x, 'function');
    else if (x.type === 'parenthesized_expression') x = x.children[0];
    else return false;
  }
  return false;
}

/** Whether a function body reads a stream (`read_stream`, `.readStream`). */
function readsStream(m: PythonModule, api: PipelineApiNames, body: PyNode): boolean {
  for (const n of descendants(body)) {
    if (n.type === 'call' && api.apiFunction(m, fieldOf(n, 'function')) === 'read_stream') return true;
    if (n.type === 'attribute' && nodeText(m, fieldOf(n, 'attribute')!) === 'readStream') return true;
  }
  return false;
}

/** A decorated function's definitions (one dataset or flow), or nothing. */
function decoratedDefinition(
  m: PythonModule,
  api: PipelineApiNames,
  d: PyNode,
  out: { datasets: PythonDataset[]; flows: PythonFlow[] },
): void {
  const def = fieldOf(d, 'definition');
  if (def?.type !== 'function_definition') return;
  const fnName = nodeText(m, fieldOf(def, 'name')!);
  const body = fieldOf(def, 'body') ?? def;
  const expectations: PythonExpectation[] = [];
  let declaration: { fn: string; call: PyNode | undefined; decorator: PyNode } | undefined;
  for (const dec of d.children.filter((c) => c.type === 'decorator')) {
    const { callee, call } = decoratorParts(dec);
    const fn = api.apiFunction(m, callee);
    if (fn === undefined) continue;
    if (fn in EXPECTATIONS) expectations.push(...expectationsOf(m, fn, call, dec.line));
    else if ((fn in DATASET_DECORATORS || FLOW_DECORATORS.has(fn)) && !declaration)
      declaration = { fn, call, decorator: dec };
  }
  if (!declaration) return;
  const args = declaration.call ? callArguments(m, declaration.call) : undefined;
  const name = stringValue(m, args?.keyword.get('name')) ?? fnName;
  const position = { line: declaration.decorator.line, column: declaration.decorator.column };
  const reads = readsIn(m, api, body);
  if (FLOW_DECORATORS.has(declaration.fn)) {
    const target = stringValue(m, args?.keyword.get('target') ?? args?.positional[0]);
    out.flows.push({
      name,
      target: target ?? name,
      api: declaration.fn,
      function: fnName,
      position,
      reads,
    });
    return;
  }
  const declared = DATASET_DECORATORS[declaration.fn]!;
  const kind: PythonDatasetKind =
    declared === 'by_query'
      ? readsStream(m, api, body)
        ? 'streaming_table'
        : 'materialized_view'
      : declared;
  out.datasets.push({
    name,
    kind,
    declaredBy: 'decorator',
    api: declaration.fn,
    function: fnName,
    position,
    expectations,
    properties: propertiesOf(m, args?.keyword.get('table_properties')),
    reads,
  });
}

/** `dp.create_streaming_table(…)` and AUTO CDC flow calls. */
function callDefinition(
  m: PythonModule,
  api: PipelineApiNames,
  call: PyNode,
  out: { datasets: PythonDataset[]; flows: PythonFlow[] },
): void {
  const fn = api.apiFunction(m, fieldOf(call, 'function'));
  if (fn === undefined) return;
  const args = callArguments(m, call);
  const position = { line: call.line, column: call.column };
  if (STREAMING_TABLE_CALLS.has(fn)) {
    const name = stringValue(m, args.keyword.get('name') ?? args.positional[0]);
    if (name === undefined) return;
    const expectations: PythonExpectation[] = [];
    for (const [kw, action] of [
      ['expect_all', 'warn'],
      ['expect_all_or_drop', 'drop'],
      ['expect_all_or_fail', 'fail'],
    ] as const) {
      const dict = args.keyword.get(kw);
      if (!dict) continue;
      const entries = dictEntries(m, dict);
      if (entries.length === 0) expectations.push({ name: '(dynamic)', action, line: dict.line });
      for (const [x] of entries) expectations.push({ name: x, action, line: dict.line });
    }
    out.datasets.push({
      name,
      kind: 'streaming_table',
      declaredBy: 'call',
      api: fn,
      position,
      expectations,
      properties: propertiesOf(m, args.keyword.get('table_properties')),
      reads: [],
    });
  } else if (CDC_FLOW_CALLS.has(fn)) {
    const target = stringValue(m, args.keyword.get('target'));
    if (target === undefined) return;
    const source = stringValue(m, args.keyword.get('source'));
    out.flows.push({
      name: stringValue(m, args.keyword.get('name')) ?? target,
      target,
      api: fn,
      position,
      reads: source !== undefined ? [{ name: source, streaming: true, line: call.line }] : [],
    });
  }
}

/**
 * Finds the datasets and flows a Python pipeline file declares, in source order:
 * `@dp.table` / `@dlt.table` (a streaming table when its query reads a stream, else a
 * materialized view), `@dp.materialized_view`, `@dp.temporary_view` / `@dlt.view`,
 * `dp.create_streaming_table("name", …)` (with its `expect_all*` arguments), and flows
 * `@dp.append_flow(target=…)` / `dp.create_auto_cdc_flow(target=…)`. A dataset's name is its
 * `name=` argument or the decorated function's name; expectations come from the `expect*`
 * decorators on the same function; `table_properties` from a literal dict.
 *
 * Meant for the pipeline loader too: it can refuse Python datasets one by one (each at its
 * decorator's line) instead of refusing the whole file.
 */
export function findPythonDefinitions(m: PythonModule, api = new PipelineApiNames(m)): PythonDefinitions {
  const out = { datasets: [] as PythonDataset[], flows: [] as PythonFlow[] };
  let uses = api.imported;
  const visit = (n: PyNode): void => {
    if (n.type === 'decorated_definition') {
      const before = out.datasets.length + out.flows.length;
      decoratedDefinition(m, api, n, out);
      if (out.datasets.length + out.flows.length > before) uses = true;
    } else if (n.type === 'call') {
      const before = out.datasets.length + out.flows.length;
      callDefinition(m, api, n, out);
      if (out.datasets.length + out.flows.length > before) uses = true;
    }
    for (const c of n.children) visit(c);
  };
  visit(m.root);
  return { datasets: out.datasets, flows: out.flows, usesPipelineApi: uses };
}
