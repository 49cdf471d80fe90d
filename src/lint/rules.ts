/**
 * The rules `sluice lint` checks: the six golden rules of the streaming standard
 * (`reference/streaming-production-patterns.md`, ST-01…ST-06) and the items of its two
 * checklists that files can prove — "Lakeflow SDP Pipeline" (SDP-*) and "Raw Structured
 * Streaming" (RSS-*) — plus LINT-SUPPRESSION for the tool's own comments. Each is documented in
 * `docs/rules/<id>.md`.
 *
 * Default severities follow the standard's: a Critical golden rule is an error, a Required one
 * a warning, a checklist item a warning, a preference a note. Any rule can be set to `off`,
 * `note`, `warning` or `error` in `.sluicelint.yml` or the spec's `lint:` key.
 */

/** How bad a finding is. Only `error` findings make `sluice lint` exit 1. */
export type Severity = 'error' | 'warning' | 'note';

/** A configured severity: a level, or `off` to skip the rule. */
export type SeveritySetting = Severity | 'off';

export const SEVERITY_SETTINGS: readonly SeveritySetting[] = ['off', 'note', 'warning', 'error'];

/** One rule: its id and name, where the standard states it, what it checks, and the usual fix. */
export interface LintRule {
  readonly id: string;
  /** kebab-case name (SARIF `name`). */
  readonly name: string;
  /** The standard's wording of the rule or checklist item. */
  readonly title: string;
  readonly defaultSeverity: Severity;
  /** What it checks, in one sentence. */
  readonly summary: string;
  /** Plural noun phrase for a summary line of repeats ("ST-02 ×12 streaming tables without expectations"). */
  readonly repeated: string;
  /** The usual fix. */
  readonly fix: string;
}

const rule = (r: LintRule): LintRule => Object.freeze(r);

/** Every rule, in reporting order. */
export const LINT_RULES: readonly LintRule[] = Object.freeze([
  rule({
    id: 'ST-01',
    name: 'lakeflow-sdp-first',
    title: 'Lakeflow SDP First',
    defaultSeverity: 'error',
    summary:
      'Streaming code uses raw Structured Streaming (readStream/writeStream) instead of a Lakeflow declarative pipeline, without an approved exception.',
    repeated: 'raw Structured Streaming queries without an approved exception',
    fix: 'declare the stream as a streaming table (SQL CREATE STREAMING TABLE, @dp.table); if an exception was approved, record it with `# sluice-lint: disable ST-01 <approval>`',
  }),
  rule({
    id: 'ST-02',
    name: 'expectations-for-quality',
    title: 'Expectations for Quality',
    defaultSeverity: 'error',
    summary: 'A streaming table declares no data quality expectations.',
    repeated: 'streaming tables without expectations',
    fix: 'add at least one expectation (CONSTRAINT … EXPECT (…) in SQL, @dp.expect* in Python, expectations: in TypeScript)',
  }),
  rule({
    id: 'ST-03',
    name: 'managed-checkpointing',
    title: 'Managed Checkpointing',
    defaultSeverity: 'warning',
    summary:
      'A pipeline sets its own checkpoint location (the pipeline manages checkpoints), or an approved raw stream has none.',
    repeated: 'checkpoint locations managed by hand or missing',
    fix: 'in pipeline code remove checkpointLocation (the pipeline manages it); in an approved raw stream set .option("checkpointLocation", …) on the writer',
  }),
  rule({
    id: 'ST-04',
    name: 'jobs-compute-only',
    title: 'Jobs Compute Only',
    defaultSeverity: 'error',
    summary: 'A streaming task runs on all-purpose compute (existing_cluster_id).',
    repeated: 'tasks on all-purpose compute',
    fix: 'run the task on a job cluster (job_cluster_key with job_clusters, or new_cluster) or serverless jobs compute',
  }),
  rule({
    id: 'ST-05',
    name: 'fixed-worker-count',
    title: 'Fixed Worker Count',
    defaultSeverity: 'warning',
    summary: 'A cluster running a streaming workload autoscales.',
    repeated: 'streaming clusters with autoscale',
    fix: 'replace autoscale with a fixed num_workers',
  }),
  rule({
    id: 'ST-06',
    name: 'idempotent-operations',
    title: 'Idempotent Operations',
    defaultSeverity: 'warning',
    summary: 'A foreachBatch function writes without MERGE (or idempotent txnAppId/txnVersion writes).',
    repeated: 'foreachBatch functions that are not idempotent',
    fix: 'write each micro-batch with MERGE INTO (or DeltaTable.merge), or pass txnAppId and txnVersion=batch_id to the write',
  }),
  rule({
    id: 'SDP-SERVERLESS',
    name: 'serverless-preferred',
    title: 'Pipeline configured as serverless (preferred)',
    defaultSeverity: 'note',
    summary: 'A bundle pipeline does not say serverless: true (nor decides serverless: false).',
    repeated: 'pipelines without serverless: true',
    fix: 'set serverless: true (or serverless: false where serverless is not available)',
  }),
  rule({
    id: 'SDP-EDITION',
    name: 'edition-advanced',
    title: 'Edition set to ADVANCED for expectations',
    defaultSeverity: 'error',
    summary:
      'A classic-compute pipeline with expectations runs an edition (CORE, PRO) that does not enforce them.',
    repeated: 'pipelines with expectations below the ADVANCED edition',
    fix: 'set edition: ADVANCED (or serverless: true)',
  }),
  rule({
    id: 'SDP-QUARANTINE',
    name: 'quarantine-table',
    title: 'Quarantine table exists for invalid records',
    defaultSeverity: 'warning',
    summary: 'A pipeline drops rows with expectations but keeps no quarantine table for them.',
    repeated: 'pipelines that drop rows without a quarantine table',
    fix: 'add a quarantine table for the rejected rows (the reference pattern, or sluice ON VIOLATION QUARANTINE)',
  }),
  rule({
    id: 'SDP-CDF',
    name: 'change-data-feed',
    title: 'Change Data Feed enabled for downstream consumers',
    defaultSeverity: 'warning',
    summary: 'A table other datasets read does not enable the Delta change data feed.',
    repeated: 'tables with consumers and no change data feed',
    fix: "set the table property 'delta.enableChangeDataFeed' = 'true'",
  }),
  rule({
    id: 'SDP-TAGS',
    name: 'cost-allocation-tags',
    title: 'Tags configured for cost allocation',
    defaultSeverity: 'warning',
    summary: 'A pipeline or job has no tags (nor custom_tags on every cluster).',
    repeated: 'pipelines and jobs without tags',
    fix: 'add tags: (team, environment, cost center)',
  }),
  rule({
    id: 'SDP-NOTIFICATIONS',
    name: 'failure-notifications',
    title: 'Notifications configured for failures',
    defaultSeverity: 'warning',
    summary:
      'A pipeline sends no notification when an update or flow fails; a job running a stream none when a run fails.',
    repeated: 'pipelines and streaming jobs without failure notifications',
    fix: 'add notifications: with alerts on-update-failure, on-update-fatal-failure and on-flow-failure',
  }),
  rule({
    id: 'SDP-ROOT-PATH',
    name: 'root-path',
    title: 'root_path configured for organized assets',
    defaultSeverity: 'note',
    summary: 'A bundle pipeline has no root_path.',
    repeated: 'pipelines without root_path',
    fix: "set root_path: to the folder of the pipeline's source files",
  }),
  rule({
    id: 'RSS-RETRIES',
    name: 'task-retries',
    title: 'Unlimited retries for resilience',
    defaultSeverity: 'warning',
    summary:
      'A streaming task of a triggered job does not retry on failure (max_retries belongs to each task).',
    repeated: 'streaming tasks without retries',
    fix: 'set max_retries: -1 on the task (a job-level max_retries is ignored by Databricks)',
  }),
  rule({
    id: 'RSS-GRACEFUL-SHUTDOWN',
    name: 'graceful-shutdown',
    title: 'Graceful shutdown enabled',
    defaultSeverity: 'warning',
    summary: 'A cluster running a raw stream does not set spark.streaming.stopGracefullyOnShutdown.',
    repeated: 'streaming clusters without graceful shutdown',
    fix: 'add spark_conf: spark.streaming.stopGracefullyOnShutdown: "true"',
  }),
  rule({
    id: 'RSS-DEBUG-CODE',
    name: 'no-debug-code',
    title: 'No debug code (display(), count()) in production code',
    defaultSeverity: 'warning',
    summary: 'Production code calls display(), .show(), .count() or .collect().',
    repeated: 'debug calls in production code',
    fix: 'remove the call (or use df.isEmpty() / limit(…) where a check is needed)',
  }),
  rule({
    id: 'LINT-SUPPRESSION',
    name: 'suppression-reason',
    title: 'Exception approved and documented',
    defaultSeverity: 'error',
    summary: 'A sluice-lint suppression gives no reason or names no known rule.',
    repeated: 'suppressions without a reason',
    fix: 'write why after the rule ids: `sluice-lint: disable ST-02 <reason>`',
  }),
]);

/** The rule with id `id` (case-insensitive), or undefined. */
export function findRule(id: string): LintRule | undefined {
  const up = id.toUpperCase();
  return LINT_RULES.find((r) => r.id === up);
}
