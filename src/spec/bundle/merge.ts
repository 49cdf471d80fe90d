/**
 * Lists the Databricks CLI merges entry by entry (by a key field) when a target overrides a
 * resource; every other list is replaced whole.
 */
const KEYED_LISTS: Readonly<Record<string, string>> = {
  clusters: 'label',
  tasks: 'task_key',
  job_clusters: 'job_cluster_key',
  environments: 'environment_key',
};

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A target's override applied to a resource as the Databricks CLI applies it: mappings merge
 * key by key (the override wins), keyed lists merge entry by entry, other values are replaced.
 */
export function mergeOverride(base: unknown, override: unknown, field?: string): unknown {
  if (isMap(base) && isMap(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergeOverride(base[k], v, k) : v;
    return out;
  }
  const key = field !== undefined ? KEYED_LISTS[field] : undefined;
  if (key !== undefined && Array.isArray(base) && Array.isArray(override)) {
    const out = [...base];
    for (const entry of override) {
      const at = isMap(entry) ? out.findIndex((b) => isMap(b) && b[key] === entry[key]) : -1;
      if (at >= 0) out[at] = mergeOverride(out[at], entry);
      else out.push(entry);
    }
    return out;
  }
  return override === undefined ? base : override;
}
