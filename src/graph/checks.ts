import { SluiceError, toSluiceError } from '../errors/index.ts';
import type { Dataset, Flow } from '../model/index.ts';
import { autoCdcFlowsAreSound } from './auto-cdc-checks.ts';
import { tombstoneRetentionIsValid } from './cdc-retention-checks.ts';
import { streamReadOptionsAreSound } from './change-feed-checks.ts';
import { type CheckContext, error, flowLocation, type GraphCheck, isView } from './check-context.ts';
import { didYouMean, isUsableName } from './names.ts';
import { baseName } from './resolve.ts';
import { streamingQueriesAreStateless } from './streaming-checks.ts';

export type { CheckContext, GraphCheck };

/** INVALID_DATASET_NAME: dataset, schema and flow names become storage folders (see `isUsableName`). */
const namesAreIdentifiers: GraphCheck = {
  name: 'names are identifiers',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const d of ctx.allDatasets) {
      if (!isUsableName(d.name)) {
        out.push(
          error(
            'INVALID_DATASET_NAME',
            `dataset name '${d.name}' cannot name a table: it becomes a storage folder, so it must not be empty, start with '.', or hold '/', '\\' or control characters`,
            d.name,
            d.location,
            { name: d.name },
          ),
        );
      } else if (d.schema !== undefined && !isUsableName(d.schema)) {
        out.push(
          error(
            'INVALID_DATASET_NAME',
            `schema name '${d.schema}' of dataset '${d.name}' cannot name a schema: it becomes a storage folder, so it must not be empty, start with '.', or hold '/', '\\' or control characters`,
            d.name,
            d.location,
            { name: d.schema },
          ),
        );
      }
    }
    for (const f of ctx.allFlows) {
      if (f.name !== f.target && !isUsableName(f.name)) {
        out.push(
          error(
            'INVALID_DATASET_NAME',
            `flow name '${f.name}' cannot name a flow: its checkpoint is a storage folder, so it must not be empty, start with '.', or hold '/', '\\' or control characters`,
            f.target,
            flowLocation(ctx, f),
            { name: f.name, flow: f.name },
          ),
        );
      }
    }
    return out;
  },
};

/** DUPLICATE_GRAPH_ELEMENT: two datasets, or two flows, with one name. Reported at the later one. */
const noDuplicates: GraphCheck = {
  name: 'no duplicate datasets or flows',
  run(ctx) {
    const out: SluiceError[] = [];
    // Names compare as Spark compares them: case-insensitively.
    const firstDataset = new Map<string, Dataset>();
    for (const d of ctx.allDatasets) {
      const first = firstDataset.get(d.name.toLowerCase());
      if (!first) {
        firstDataset.set(d.name.toLowerCase(), d);
        continue;
      }
      out.push(
        error(
          'DUPLICATE_GRAPH_ELEMENT',
          `dataset '${d.name}' is defined more than once${first.location ? ` (first at ${first.location.file}:${first.location.line})` : ''}`,
          d.name,
          d.location,
          {
            element: 'dataset',
            name: d.name,
            ...(first.location ? { first: first.location } : {}),
          },
        ),
      );
    }
    const firstFlow = new Map<string, Flow>();
    for (const f of ctx.allFlows) {
      const first = firstFlow.get(f.name.toLowerCase());
      if (!first) {
        firstFlow.set(f.name.toLowerCase(), f);
        continue;
      }
      // A duplicate dataset's defining flow duplicates too; one error per mistake is enough.
      if (
        f.role === 'defining' &&
        first.role === 'defining' &&
        ctx.index.names.canonical(f.target) === ctx.index.names.canonical(first.target)
      )
        continue;
      const loc = flowLocation(ctx, f);
      out.push(
        error('DUPLICATE_GRAPH_ELEMENT', `flow '${f.name}' is defined more than once`, f.target, loc, {
          element: 'flow',
          name: f.name,
          ...(first.location ? { first: first.location } : {}),
        }),
      );
    }
    return out;
  },
};

/** DATASET_NOT_DEFINED for flows whose target does not exist (e.g. an append flow's typo). */
const flowTargetsDefined: GraphCheck = {
  name: 'flow targets are defined',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const f of ctx.index.flows) {
      if (ctx.index.datasets.has(f.target) || ctx.index.brokenNames.has(f.target)) continue;
      const hint = didYouMean(f.target, ctx.index.datasets.keys());
      out.push(
        error(
          'DATASET_NOT_DEFINED',
          `flow '${f.name}' writes to '${f.target}', which is not defined${hint ? `; did you mean '${hint}'?` : ''}`,
          f.target,
          flowLocation(ctx, f),
          {
            name: f.target,
            flow: f.name,
            ...(hint ? { suggestion: hint } : {}),
          },
        ),
      );
    }
    return out;
  },
};

/** PIPELINE_DATASET_WITHOUT_FLOW: a streaming table, view or materialized view nothing writes to. */
const datasetsHaveFlows: GraphCheck = {
  name: 'datasets have flows',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const d of ctx.index.datasets.values()) {
      if (ctx.index.brokenNames.has(d.name)) continue;
      if ((ctx.index.flowsByTarget.get(d.name) ?? []).length > 0) continue;
      const hint =
        d.kind === 'streaming_table'
          ? 'give it a query or write to it with an append flow'
          : 'give it a query';
      out.push(
        error(
          'PIPELINE_DATASET_WITHOUT_FLOW',
          `${d.kind.replace('_', ' ')} '${d.name}' has no flow; ${hint}`,
          d.name,
          d.location,
          { kind: d.kind },
        ),
      );
    }
    return out;
  },
};

/** MATERIALIZED_VIEW_WITH_MULTIPLE_QUERIES: MVs and views take exactly one query. */
const singleQueryDatasets: GraphCheck = {
  name: 'materialized views and views have one query',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const d of ctx.index.datasets.values()) {
      if (d.kind === 'streaming_table') continue;
      const flows = ctx.index.flowsByTarget.get(d.name) ?? [];
      if (flows.length <= 1) continue;
      const extra = flows.find((f) => f.role === 'append') ?? flows[1]!;
      out.push(
        error(
          'MATERIALIZED_VIEW_WITH_MULTIPLE_QUERIES',
          `${d.kind.replace('_', ' ')} '${d.name}' has ${flows.length} flows (${flows.map((f) => f.name).join(', ')}); it takes exactly one query`,
          d.name,
          flowLocation(ctx, extra),
          {
            flows: flows.map((f) => f.name),
          },
        ),
      );
    }
    return out;
  },
};

/** DATASET_NOT_DEFINED for inputs naming no dataset, with a did-you-mean. Broken definitions are not "undefined". */
const inputsDefined: GraphCheck = {
  name: 'inputs are defined',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const f of ctx.index.flows) {
      for (const input of f.query.inputs) {
        if (input.kind !== 'dataset') continue;
        if (ctx.index.names.resolve(input.name, f.target)) continue;
        const external = ctx.index.names.isExternal(input.name, f.target);
        if (!external && ctx.index.brokenNames.has(baseName(input.name))) continue;
        const hint = external ? undefined : didYouMean(baseName(input.name), ctx.index.datasets.keys());
        const what = external
          ? `'${input.name}', a table outside the pipeline: sluice has no catalog and reads only the pipeline's own datasets and files — bind the name to a local Delta table or files under external_tables in the spec, read its data with read_files('…') or delta.\`path\`, or define it in the pipeline`
          : `'${input.name}', which is not defined in the pipeline${hint ? `; did you mean '${hint}'?` : ''}`;
        out.push(
          error(
            'DATASET_NOT_DEFINED',
            `'${f.target}' reads ${what}`,
            f.target,
            input.location ?? flowLocation(ctx, f),
            {
              name: input.name,
              flow: f.name,
              external,
              ...(hint ? { suggestion: hint } : {}),
            },
          ),
        );
      }
    }
    return out;
  },
};

/** Whether a view's query streams: some flow into it reads a stream or a streaming view. */
function viewStreams(ctx: CheckContext, view: string): boolean {
  return (ctx.index.flowsByTarget.get(view) ?? []).some((f) => {
    const r = ctx.resolutions.get(f.name);
    return r?.kind === 'resolved_flow' && r.streaming;
  });
}

/**
 * INCOMPATIBLE_BATCH_VIEW_READ / INCOMPATIBLE_STREAMING_VIEW_READ: a view is inlined where it is
 * read, its inputs streaming or not as its own query says, so it is read the way it is defined —
 * `STREAM(v)` only when v's query reads a stream, plain `v` only when it does not (Spark's rule).
 * Reading a batch view as a stream would otherwise need sluice to invent which of its inputs
 * stream.
 */
const viewReadsMatchViews: GraphCheck = {
  name: 'views are read the way they are defined',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const r of ctx.resolutions.values()) {
      if (r.kind !== 'resolved_flow') continue;
      for (const input of r.inputs) {
        if (input.kind !== 'dataset') continue;
        const view = ctx.index.datasets.get(input.dataset);
        if (!view || !isView(view)) continue;
        const streams = viewStreams(ctx, view.name);
        if (input.streaming === streams) continue;
        out.push(
          input.streaming
            ? error(
                'INCOMPATIBLE_BATCH_VIEW_READ',
                `'${r.target}' reads view '${view.name}' as a stream, but the view's query reads no stream; read it without STREAM, or read a stream inside the view (STREAM(…) there)`,
                r.target,
                input.location ?? flowLocation(ctx, r.flow),
                { flow: r.name, view: view.name },
              )
            : error(
                'INCOMPATIBLE_STREAMING_VIEW_READ',
                `'${r.target}' reads view '${view.name}' as a batch, but the view's query reads a stream; read it as STREAM(${view.name})`,
                r.target,
                input.location ?? flowLocation(ctx, r.flow),
                { flow: r.name, view: view.name },
              ),
        );
      }
    }
    return out;
  },
};

/**
 * INVALID_FLOW_QUERY_TYPE.*: a streaming table's flow must read a stream (unless `once`);
 * a materialized view's flow must not read with STREAM. Reads of views whose query streams count
 * as streaming (a plain read of one is refused by {@link viewReadsMatchViews}).
 */
const flowQueryTypes: GraphCheck = {
  name: 'flow query types match targets',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const r of ctx.resolutions.values()) {
      if (r.kind !== 'resolved_flow') continue;
      const target = ctx.index.datasets.get(r.target);
      if (!target) continue;
      // An AUTO CDC FROM SNAPSHOT flow reads its source in batch: each read is a snapshot.
      if (target.kind === 'streaming_table' && !r.streaming && !r.once && !r.flow.snapshotCdc) {
        out.push(
          error(
            'INVALID_FLOW_QUERY_TYPE.BATCH_RELATION_FOR_STREAMING_TABLE',
            `streaming table '${target.name}' is written by flow '${r.name}', whose query reads no streaming source; read an input with STREAM(…) / stream(…), or make it a materialized view`,
            target.name,
            flowLocation(ctx, r.flow),
            { flow: r.name },
          ),
        );
      } else if (target.kind === 'materialized_view' && r.inputs.some((i) => i.streaming)) {
        // A plain read of a streaming view is INCOMPATIBLE_STREAMING_VIEW_READ, reported on its own.
        const streamed = r.inputs.find((i) => i.streaming);
        const what =
          streamed?.kind === 'dataset'
            ? `'${streamed.name}'`
            : streamed?.kind === 'files'
              ? `read_files('${streamed.path}')`
              : 'a source';
        out.push(
          error(
            'INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW',
            `materialized view '${target.name}' reads ${what} as a stream; a materialized view is recomputed from batch reads — drop STREAM, or make it a streaming table`,
            target.name,
            streamed?.location ?? flowLocation(ctx, r.flow),
            { flow: r.name },
          ),
        );
      }
    }
    return out;
  },
};

/** DUPLICATE_EXPECTATION_NAME within one dataset. */
const uniqueExpectationNames: GraphCheck = {
  name: 'expectation names are unique per dataset',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const d of ctx.index.datasets.values()) {
      const seen = new Set<string>();
      for (const x of d.expectations) {
        if (seen.has(x.name)) {
          out.push(
            error(
              'DUPLICATE_EXPECTATION_NAME',
              `dataset '${d.name}' has two expectations named '${x.name}'`,
              d.name,
              x.location ?? d.location,
              { expectation: x.name },
            ),
          );
        }
        seen.add(x.name);
      }
    }
    return out;
  },
};

/** The columns a dataset's rows have, when statically known: its one query's select list, else declared columns. */
function knownColumns(ctx: CheckContext, d: Dataset): readonly string[] | undefined {
  const flows = ctx.index.flowsByTarget.get(d.name) ?? [];
  if (flows.length === 1 && flows[0]!.query.outputColumns) return flows[0]!.query.outputColumns;
  if (d.columns && d.columns.length > 0) return d.columns.map((c) => c.name);
  return undefined;
}

/** INVALID_EXPECTATION: the expression must translate, and name only columns the rows have (when known). */
const validExpectations: GraphCheck = {
  name: 'expectations are valid expressions',
  async run(ctx) {
    const jobs: Promise<SluiceError | undefined>[] = [];
    // Pipelines repeat expectations (`id IS NOT NULL` on every table): each distinct expression
    // (over the same columns) is analyzed once. The compiler shares location-free translations;
    // one that fails is translated again with its location, so the error points at this one.
    const columnsOf = new Map<string, Promise<string[]>>();
    for (const d of ctx.index.datasets.values()) {
      const known = knownColumns(ctx, d);
      for (const x of d.expectations) {
        const location = x.location ?? d.location;
        jobs.push(
          (async () => {
            try {
              await ctx.sql
                .translateExpression(x.expression)
                .catch(() => ctx.sql.translateExpression(x.expression, location ? { location } : {}));
              if (!known) return undefined;
              const key = JSON.stringify([x.expression, known]);
              let columns = columnsOf.get(key);
              if (!columns) {
                columns = ctx.sql.expressionColumns(x.expression, { rowColumns: known });
                columnsOf.set(key, columns);
              }
              const used = await columns;
              const have = new Set(known.map((c) => c.toLowerCase()));
              const missing = used.filter((c) => !have.has(c.toLowerCase()));
              if (missing.length === 0) return undefined;
              return error(
                'INVALID_EXPECTATION',
                `expectation '${x.name}' of '${d.name}' references ${missing.map((c) => `'${c}'`).join(', ')}, not a column of its rows (${known.join(', ')})`,
                d.name,
                location,
                {
                  expectation: x.name,
                  columns: missing,
                },
              );
            } catch (e) {
              // Only the user's mistakes become INVALID_EXPECTATION; a front-end failure stays what it is.
              if (!(e instanceof SluiceError) || e.domain !== 'user') {
                const err = toSluiceError(e);
                return new SluiceError(err.code, err.message, {
                  params: err.params,
                  dataset: d.name,
                  ...(location ? { location } : {}),
                  cause: e,
                  domain: err.domain,
                });
              }
              const cause = e.message;
              return error(
                'INVALID_EXPECTATION',
                `expectation '${x.name}' of '${d.name}' is not a valid SQL expression: ${cause}`,
                d.name,
                location,
                {
                  expectation: x.name,
                  expression: x.expression,
                },
              );
            }
          })(),
        );
      }
    }
    return (await Promise.all(jobs)).filter((e): e is SluiceError => e !== undefined);
  },
};

/**
 * Whether a table is a quarantine table — the reference's pattern for rows that fail another
 * table's expectations: `quarantine` is a word of its name (`quarantine_orders`,
 * `events_quarantine`) or its `quality` property is `quarantine`. It keeps failing rows on
 * purpose, so rule ST-02 (and lint) do not ask it for expectations of its own.
 */
export function isQuarantineTable(d: Pick<Dataset, 'name' | 'properties'>): boolean {
  return (
    d.name
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .includes('quarantine') || d.properties.quality?.toLowerCase() === 'quarantine'
  );
}

/**
 * Warning MISSING_EXPECTATIONS (rule ST-02): every streaming table but a quarantine table should
 * declare expectations. `sluice lint` owns the rule: its configuration can silence it or make it
 * an error for `validate` (see src/lint/validation.ts).
 */
const streamingTablesHaveExpectations: GraphCheck = {
  name: 'streaming tables have expectations (ST-02)',
  run(ctx) {
    const out: SluiceError[] = [];
    for (const d of ctx.index.datasets.values()) {
      if (d.kind !== 'streaming_table' || d.expectations.length > 0 || isQuarantineTable(d)) continue;
      out.push(
        error(
          'MISSING_EXPECTATIONS',
          `streaming table '${d.name}' declares no expectations (rule ST-02: define data quality expectations for all streaming tables)`,
          d.name,
          d.location,
          { rule: 'ST-02' },
        ),
      );
    }
    return out;
  },
};

/** The error checks, in reporting order. Cycles are found separately (they need the whole graph). */
export const ERROR_CHECKS: readonly GraphCheck[] = [
  namesAreIdentifiers,
  noDuplicates,
  flowTargetsDefined,
  datasetsHaveFlows,
  singleQueryDatasets,
  inputsDefined,
  flowQueryTypes,
  viewReadsMatchViews,
  uniqueExpectationNames,
  validExpectations,
  streamingQueriesAreStateless,
  autoCdcFlowsAreSound,
  streamReadOptionsAreSound,
  tombstoneRetentionIsValid,
];

export const WARNING_CHECKS: readonly GraphCheck[] = [streamingTablesHaveExpectations];

export { isView };
