import { SluiceError } from '../errors/index.ts';
import type { AutoCdc, ColumnSelection, Dataset, Expectation, Flow } from '../model/index.ts';

/** A Spark SQL identifier, backticked when it is not a plain name. */
export function ident(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replaceAll('`', '``')}\``;
}

/** A Spark SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function qualified(d: Pick<Dataset, 'name' | 'schema'>, defaultSchema: string | undefined): string {
  return d.schema !== undefined && d.schema !== defaultSchema
    ? `${ident(d.schema)}.${ident(d.name)}`
    : ident(d.name);
}

const ACTION_SQL = {
  warn: '',
  drop: ' ON VIOLATION DROP ROW',
  fail: ' ON VIOLATION FAIL UPDATE',
  quarantine: ' ON VIOLATION QUARANTINE',
} as const satisfies Record<Expectation['action'], string>;

/** How a dataset's expectations are written out. */
export type ExpectationStyle =
  /** As defined (sluice SQL). */
  | 'as-is'
  /** Lakeflow: QUARANTINE becomes DROP ROW (a `<name>_quarantine` table catches the rows). */
  | 'lakeflow';

function constraint(e: Expectation, style: ExpectationStyle): string {
  const action = style === 'lakeflow' && e.action === 'quarantine' ? 'drop' : e.action;
  return `CONSTRAINT ${ident(e.name)} EXPECT (${e.expression})${ACTION_SQL[action]}`;
}

function kindKeyword(d: Dataset): string {
  switch (d.kind) {
    case 'streaming_table':
      return 'CREATE OR REFRESH STREAMING TABLE';
    case 'materialized_view':
      return 'CREATE OR REFRESH MATERIALIZED VIEW';
    case 'temporary_view':
      return 'CREATE TEMPORARY VIEW';
    case 'persisted_view':
      return 'CREATE VIEW';
    default: {
      const never: never = d.kind;
      return never;
    }
  }
}

/**
 * Lakeflow SQL defining `d` and the flows into it, from the model: the CREATE statement with its
 * columns, constraints, partitioning, comment and properties, its defining flow's query, then one
 * `CREATE FLOW … INSERT INTO` per append flow (`INSERT INTO ONCE` for one-time flows).
 */
export function datasetSql(
  d: Dataset,
  flows: readonly Flow[],
  style: ExpectationStyle,
  defaultSchema: string | undefined,
): string {
  const parts: string[] = [];
  const elements = [
    ...(d.columns ?? []).map(
      (c) =>
        `${ident(c.name)}${c.type ? ` ${c.type}` : ''}${c.nullable ? '' : ' NOT NULL'}${c.comment ? ` COMMENT ${sqlString(c.comment)}` : ''}`,
    ),
    ...d.expectations.map((e) => constraint(e, style)),
  ];
  let head = `${kindKeyword(d)} ${qualified(d, defaultSchema)}`;
  if (elements.length > 0) head += ` (\n  ${elements.join(',\n  ')}\n)`;
  const clauses: string[] = [];
  if (d.partitionBy.length > 0) clauses.push(`PARTITIONED BY (${d.partitionBy.map(ident).join(', ')})`);
  if (d.clusterBy.length > 0) clauses.push(`CLUSTER BY (${d.clusterBy.map(ident).join(', ')})`);
  if (d.comment) clauses.push(`COMMENT ${sqlString(d.comment)}`);
  const props = Object.entries(d.properties);
  if (props.length > 0)
    clauses.push(`TBLPROPERTIES (${props.map(([k, v]) => `${sqlString(k)} = ${sqlString(v)}`).join(', ')})`);
  const defining = flows.find((f) => f.role === 'defining' && f.cdc === undefined && !f.snapshotCdc);
  parts.push(
    [head, ...clauses, ...(defining ? [`AS ${defining.query.source.trim()}`] : [])].join('\n') + ';',
  );
  for (const f of flows) {
    if (f === defining) continue;
    if (f.snapshotCdc) {
      // Databricks declares it in Python only (its SQL form needs WITH VERSION, which sluice has not).
      throw new SluiceError(
        'AUTO_CDC_SNAPSHOT_NOT_EXPORTABLE',
        `flow '${f.name}' (createAutoCdcFromSnapshotFlow into '${d.name}') has no SQL form sluice can write; declare it in Python (dp.create_auto_cdc_from_snapshot_flow) in the exported project`,
        { dataset: d.name, params: { flow: f.name } },
      );
    }
    if (f.cdc) {
      parts.push(autoCdcFlowSql(f.name, qualified(d, defaultSchema), f.cdc));
      continue;
    }
    const once = f.options.once === 'true' ? ' ONCE' : '';
    parts.push(
      `CREATE FLOW ${ident(f.name)} AS INSERT INTO${once} ${qualified(d, defaultSchema)} BY NAME\n${f.query.source.trim()};`,
    );
  }
  return parts.join('\n\n');
}

/**
 * Lakeflow's quarantine pattern for the QUARANTINE expectations of `d`: a table of the same kind
 * named `<name>_quarantine` that reads `d`'s query and keeps the rows failing any QUARANTINE
 * expectation (a NULL verdict fails, as in sluice), with `_violations` listing every expectation
 * the row failed and `_quarantined_at`. (sluice's own quarantine table also records `_batch_id`
 * and `_source`, which Lakeflow has no counterpart for.)
 */
export function quarantineTableSql(
  d: Dataset,
  query: Flow,
  defaultSchema: string | undefined,
): string | undefined {
  const quarantined = d.expectations.filter((e) => e.action === 'quarantine');
  if (quarantined.length === 0) return undefined;
  const passes = (e: Expectation) => `coalesce((${e.expression}), false)`;
  const violations = d.expectations.map((e) => `IF(${passes(e)}, NULL, ${sqlString(e.name)})`);
  const table = { name: `${d.name}_quarantine`, ...(d.schema !== undefined ? { schema: d.schema } : {}) };
  const kind = d.kind === 'materialized_view' ? 'MATERIALIZED VIEW' : 'STREAMING TABLE';
  return [
    `CREATE OR REFRESH ${kind} ${qualified(table, defaultSchema)}`,
    `COMMENT ${sqlString(`Rows of ${d.name} that failed an ON VIOLATION QUARANTINE expectation`)}`,
    `AS SELECT *,`,
    `  filter(array(${violations.join(', ')}), v -> v IS NOT NULL) AS _violations,`,
    '  current_timestamp() AS _quarantined_at',
    `FROM (\n${query.query.source.trim()}\n)`,
    `WHERE NOT (${quarantined.map(passes).join(' AND ')});`,
  ].join('\n');
}

function selectionSql(sel: ColumnSelection): string {
  const names = sel.columns.map(ident).join(', ');
  return sel.kind === 'include' ? `(${names})` : `* EXCEPT (${names})`;
}

/** `CREATE FLOW f AS AUTO CDC INTO t …`: an AUTO CDC flow with every clause it was declared with. */
export function autoCdcFlowSql(flow: string, target: string, cdc: AutoCdc): string {
  const lines = [`CREATE FLOW ${ident(flow)} AS AUTO CDC INTO ${target}`, `FROM ${cdc.source}`];
  lines.push(`KEYS (${cdc.keys.map(ident).join(', ')})`);
  if (cdc.ignoreNullUpdates) {
    const all = cdc.ignoreNullUpdates.kind === 'except' && cdc.ignoreNullUpdates.columns.length === 0;
    lines.push(`IGNORE NULL UPDATES${all ? '' : ` ON ${selectionSql(cdc.ignoreNullUpdates)}`}`);
  }
  if (cdc.deleteWhen) lines.push(`APPLY AS DELETE WHEN ${cdc.deleteWhen}`);
  if (cdc.truncateWhen) lines.push(`APPLY AS TRUNCATE WHEN ${cdc.truncateWhen}`);
  lines.push(`SEQUENCE BY ${cdc.sequenceBy}`);
  if (cdc.columns) lines.push(`COLUMNS ${selectionSql(cdc.columns)}`);
  lines.push(`STORED AS SCD TYPE ${cdc.scdType}`);
  if (cdc.trackHistory) lines.push(`TRACK HISTORY ON ${selectionSql(cdc.trackHistory)}`);
  return `${lines.join('\n')};`;
}
