// Builds model objects directly, so graph logic is tested without the SQL front end.
import type {
  Dataset,
  DatasetKind,
  Expectation,
  Flow,
  PipelineDefinitions,
  QueryInput,
} from '../../src/model/index.ts';
import { expectation } from '../../src/model/index.ts';

export type InputSpec = string | { files: string; streaming?: boolean };

/** `'STREAM x'` is a streaming read of x; `'x'` a batch read. */
export function inputs(list: readonly InputSpec[]): QueryInput[] {
  return list.map((i, n) => {
    if (typeof i !== 'string') {
      return {
        kind: 'files',
        path: i.files,
        format: 'json',
        options: {},
        streaming: i.streaming ?? true,
        location: { file: 'q.sql', line: n + 1 },
      };
    }
    const streaming = i.startsWith('STREAM ');
    return {
      kind: 'dataset',
      name: streaming ? i.slice(7) : i,
      streaming,
      location: { file: 'q.sql', line: 100 + n },
    };
  });
}

export function dataset(
  kind: DatasetKind,
  name: string,
  line: number,
  expectations: readonly Expectation[] = [],
): Dataset {
  return {
    kind,
    name,
    properties: {},
    partitionBy: [],
    clusterBy: [],
    expectations,
    private: false,
    language: 'sql',
    location: { file: 'p.sql', line },
  };
}

export function flow(
  name: string,
  target: string,
  ins: readonly InputSpec[],
  role: Flow['role'] = 'defining',
  options: Record<string, string> = {},
): Flow {
  return {
    kind: 'flow',
    name,
    target,
    role,
    query: { kind: 'query', source: '…', sql: '…', inputs: inputs(ins) },
    options,
    language: 'sql',
    location: { file: 'p.sql', line: 500 },
  };
}

/** A dataset with its defining flow: `def('streaming_table', 'b', 3, ['STREAM a'])`. */
export function def(
  kind: DatasetKind,
  name: string,
  line: number,
  ins: readonly InputSpec[],
  expectations: readonly Expectation[] = [],
): { dataset: Dataset; flow: Flow } {
  const d = dataset(kind, name, line, expectations);
  return { dataset: d, flow: { ...flow(name, name, ins), location: { file: 'p.sql', line } } };
}

export function defs(...items: ({ dataset: Dataset; flow?: Flow } | Flow | Dataset)[]): PipelineDefinitions {
  const datasets: Dataset[] = [];
  const flows: Flow[] = [];
  for (const i of items) {
    if ('dataset' in i) {
      datasets.push(i.dataset);
      if (i.flow) flows.push(i.flow);
    } else if (i.kind === 'flow') flows.push(i);
    else datasets.push(i);
  }
  return { datasets, flows, settings: [] };
}

export const warn = (name: string, expr = 'id IS NOT NULL') =>
  expectation(name, expr, 'warn', { file: 'p.sql', line: 1 });
