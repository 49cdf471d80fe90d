import type { RawFinding } from './findings.ts';

/**
 * Rules over Databricks configuration (bundle pipelines and jobs, sluice specs, YAML fragments):
 * - ST-04: a task on all-purpose compute (`existing_cluster_id`);
 * - ST-05: `autoscale` on a cluster of a streaming workload;
 * - SDP-SERVERLESS, SDP-EDITION, SDP-TAGS, SDP-NOTIFICATIONS, SDP-ROOT-PATH on pipelines;
 * - RSS-RETRIES, RSS-GRACEFUL-SHUTDOWN, SDP-TAGS on jobs, and SDP-NOTIFICATIONS on a job that
 *   streams (the raw-streaming checklist's "Monitoring configured").
 *
 * "Streaming" is decided from what lint can read: a continuous job or pipeline, a task whose
 * code runs a raw stream, a pipeline declaring streaming tables. Where the code cannot be read,
 * ST-04 and ST-05 assume a stream (their cost is highest); the checklist rules do not.
 */

/** A YAML path's position, as an absolute file and 1-based line and column. */
export type Locate = (path: readonly (string | number)[]) => { file: string; line: number; column: number };

/** Whether a workload streams: yes, no, or unknown (its code could not be read). */
export type Streaming = boolean | undefined;

type Obj = Record<string, unknown>;

function asMap(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The mappings of a list (other entries left out). */
function maps(v: unknown): Obj[] {
  return asList(v).flatMap((x) => {
    const m = asMap(x);
    return m ? [m] : [];
  });
}

function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
}

function finding(rule: string, message: string, at: ReturnType<Locate>, fix?: string): RawFinding {
  return { rule, message, ...(fix !== undefined ? { fix } : {}), ...at };
}

/** ST-05 for one cluster mapping at `path`. */
function autoscaleFinding(
  cluster: Obj,
  path: (string | number)[],
  locate: Locate,
  what: string,
): RawFinding[] {
  if (cluster.autoscale === undefined) return [];
  return [
    finding(
      'ST-05',
      `${what} autoscales: adding or removing workers moves streaming state and stalls the stream`,
      locate([...path, 'autoscale']),
    ),
  ];
}

/** Tags for cost allocation: `tags`, or `custom_tags` on every cluster. */
function tagged(tags: unknown, clusters: readonly Obj[]): boolean {
  const t = asMap(tags);
  if (t && Object.keys(t).length > 0) return true;
  return clusters.length > 0 && clusters.every((c) => Object.keys(asMap(c.custom_tags) ?? {}).length > 0);
}

const FAILURE_ALERTS = ['on-update-failure', 'on-update-fatal-failure', 'on-flow-failure'];

function notifiesFailures(notifications: unknown): boolean {
  return asList(notifications).some((n) => {
    const entry = asMap(n);
    const alerts = asList(entry?.alerts).map(String);
    const recipients = asList(entry?.email_recipients).length + asList(entry?.webhook_urls).length;
    return recipients > 0 && alerts.some((a) => FAILURE_ALERTS.includes(a));
  });
}

/**
 * Whether a job alerts someone when a run fails: `email_notifications.on_failure` or
 * `webhook_notifications.on_failure` (a non-empty list) on the job or on one of its tasks.
 */
function jobNotifiesFailures(job: Obj, tasks: readonly Obj[]): boolean {
  return [job, ...tasks].some(
    (x) =>
      asList(asMap(x.email_notifications)?.on_failure).length > 0 ||
      asList(asMap(x.webhook_notifications)?.on_failure).length > 0,
  );
}

/** What lint knows of a pipeline's code. */
export interface PipelineCode {
  readonly streaming: Streaming;
  readonly hasExpectations: boolean;
}

/**
 * Rules on one bundle pipeline resource (`resources.pipelines.<key>`); `locate` takes paths
 * inside the resource.
 */
export function pipelineResourceFindings(
  key: string,
  p: Obj,
  locate: Locate,
  code: PipelineCode,
): RawFinding[] {
  const out: RawFinding[] = [];
  const clusters = maps(p.clusters);
  const streaming = isTrue(p.continuous) ? true : code.streaming;
  if (streaming !== false)
    asList(p.clusters).forEach((c, i) => {
      const cluster = asMap(c);
      if (cluster)
        out.push(
          ...autoscaleFinding(
            cluster,
            ['clusters', i],
            locate,
            `pipeline '${key}' cluster '${cluster.label ?? i}'`,
          ),
        );
    });
  if (p.serverless === undefined)
    out.push(
      finding(
        'SDP-SERVERLESS',
        `pipeline '${key}' does not set serverless: it runs on classic compute you size and manage`,
        locate([]),
      ),
    );
  const edition = typeof p.edition === 'string' ? p.edition.toUpperCase() : undefined;
  if (code.hasExpectations && !isTrue(p.serverless) && edition !== undefined && edition !== 'ADVANCED')
    out.push(
      finding(
        'SDP-EDITION',
        `pipeline '${key}' declares expectations but runs edition ${edition}, which does not enforce them`,
        locate(['edition']),
      ),
    );
  if (!tagged(p.tags, clusters))
    out.push(finding('SDP-TAGS', `pipeline '${key}' has no tags for cost allocation`, locate([])));
  if (!notifiesFailures(p.notifications))
    out.push(
      finding(
        'SDP-NOTIFICATIONS',
        `pipeline '${key}' notifies no one when an update or a flow fails`,
        locate(p.notifications === undefined ? [] : ['notifications']),
      ),
    );
  if (p.root_path === undefined)
    out.push(finding('SDP-ROOT-PATH', `pipeline '${key}' has no root_path`, locate([])));
  return out;
}

/** SDP-TAGS and SDP-NOTIFICATIONS on a sluice spec (spark-pipeline.yml): the fields an export carries. */
export function specFindings(spec: Obj, locate: Locate): RawFinding[] {
  const out: RawFinding[] = [];
  const name = typeof spec.name === 'string' ? spec.name : 'pipeline';
  if (!tagged(spec.tags, []))
    out.push(finding('SDP-TAGS', `pipeline '${name}' has no tags for cost allocation`, locate(['name'])));
  if (!notifiesFailures(spec.notifications))
    out.push(
      finding(
        'SDP-NOTIFICATIONS',
        `pipeline '${name}' notifies no one when an update or a flow fails`,
        locate(spec.notifications === undefined ? ['name'] : ['notifications']),
      ),
    );
  return out;
}

/** The code a task runs: `notebook_task.notebook_path` or `spark_python_task.python_file`. */
export function taskCodePath(task: Obj): string | undefined {
  const nb = asMap(task.notebook_task)?.notebook_path;
  if (typeof nb === 'string') return nb;
  const py = asMap(task.spark_python_task)?.python_file;
  return typeof py === 'string' ? py : undefined;
}

/**
 * Rules on one job resource (`resources.jobs.<key>`). `streams(task)` says whether a task's
 * code runs a raw stream (undefined when it cannot be read).
 */
export function jobFindings(
  key: string,
  job: Obj,
  locate: Locate,
  streams: (task: Obj) => Streaming,
): RawFinding[] {
  const out: RawFinding[] = [];
  const continuous = job.continuous !== undefined && job.continuous !== null;
  const tasks = maps(job.tasks);
  const streaming = (task: Obj): Streaming => {
    if (task.pipeline_task !== undefined || task.sql_task !== undefined || task.dbt_task !== undefined)
      return false;
    return continuous ? true : streams(task);
  };
  const taskPath = (task: Obj) => ['tasks', asList(job.tasks).indexOf(task)];
  const label = (task: Obj) => `task '${String(task.task_key ?? '?')}' of job '${key}'`;
  const clusterSpecs: { cluster: Obj; path: (string | number)[]; users: Obj[] }[] = [];
  asList(job.job_clusters).forEach((jc, i) => {
    const entry = asMap(jc);
    const cluster = asMap(entry?.new_cluster);
    if (!entry || !cluster) return;
    const users = tasks.filter((t) => t.job_cluster_key === entry.job_cluster_key);
    clusterSpecs.push({ cluster, path: ['job_clusters', i, 'new_cluster'], users });
  });
  for (const t of tasks) {
    const cluster = asMap(t.new_cluster);
    if (cluster) clusterSpecs.push({ cluster, path: [...taskPath(t), 'new_cluster'], users: [t] });
    if (t.existing_cluster_id !== undefined && streaming(t) !== false)
      out.push(
        finding(
          'ST-04',
          streaming(t)
            ? `${label(t)} streams on all-purpose compute (existing_cluster_id)`
            : `${label(t)} runs on all-purpose compute (existing_cluster_id); lint cannot read its code, so it may stream`,
          locate([...taskPath(t), 'existing_cluster_id']),
        ),
      );
  }
  for (const c of clusterSpecs) {
    const kinds = c.users.map(streaming);
    const mayStream = c.users.length === 0 || kinds.some((s) => s !== false);
    if (mayStream) out.push(...autoscaleFinding(c.cluster, c.path, locate, `a cluster of job '${key}'`));
    if (kinds.some((s) => s === true)) {
      const conf = asMap(c.cluster.spark_conf) ?? {};
      if (!isTrue(conf['spark.streaming.stopGracefullyOnShutdown']))
        out.push(
          finding(
            'RSS-GRACEFUL-SHUTDOWN',
            `a streaming cluster of job '${key}' does not set spark.streaming.stopGracefullyOnShutdown: "true"`,
            locate(c.path),
          ),
        );
    }
  }
  if (job.max_retries !== undefined)
    out.push(
      finding(
        'RSS-RETRIES',
        `job '${key}' sets max_retries at the job level, where Databricks ignores it: retries are a task setting`,
        locate(['max_retries']),
        `move max_retries: ${String(job.max_retries)} into each task`,
      ),
    );
  else if (!continuous)
    for (const t of tasks) {
      const retries = t.max_retries;
      if (streaming(t) === true && (retries === undefined || retries === 0))
        out.push(
          finding(
            'RSS-RETRIES',
            `${label(t)} runs a stream but does not retry when it fails`,
            locate(taskPath(t)),
          ),
        );
    }
  if ((continuous || tasks.some((t) => streaming(t) === true)) && !jobNotifiesFailures(job, tasks))
    out.push(
      finding(
        'SDP-NOTIFICATIONS',
        `job '${key}' runs a stream but notifies no one when a run fails`,
        locate([]),
        'add email_notifications: {on_failure: [team@company.com]} (or webhook_notifications) to the job',
      ),
    );
  const clusters = clusterSpecs.map((c) => c.cluster);
  if (!tagged(job.tags, clusters))
    out.push(finding('SDP-TAGS', `job '${key}' has no tags for cost allocation`, locate([])));
  return out;
}

/**
 * Rules on a YAML file that is neither a bundle nor a spec: any `new_cluster` mapping with
 * `autoscale` (ST-05) and any `existing_cluster_id` (ST-04) — what a fragment shows, its
 * workload unknown.
 */
export function fragmentFindings(value: unknown, locate: Locate): RawFinding[] {
  const out: RawFinding[] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        walk(x, [...path, i]);
      });
      return;
    }
    const map = asMap(v);
    if (!map) return;
    for (const [k, x] of Object.entries(map)) {
      const at = [...path, k];
      const cluster = asMap(x);
      if (k === 'new_cluster' && cluster) out.push(...autoscaleFinding(cluster, at, locate, 'the cluster'));
      if (k === 'existing_cluster_id')
        out.push(finding('ST-04', 'a task runs on all-purpose compute (existing_cluster_id)', locate(at)));
      walk(x, at);
    }
  };
  walk(value, []);
  return out;
}
