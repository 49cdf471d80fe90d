/**
 * Which pipeline a `sluice query` / `sluice events` runs over: the one named by `--pipeline`,
 * else the nearest spec found from the working directory, else none (plain mode).
 */
import { SluiceError } from '../errors/index.ts';
import { type BundleSelection, loadSpec } from '../spec/index.ts';
import type { PipelineQueryTarget } from './pipeline-tables.ts';

/**
 * Loads the target pipeline. With `dir`, a missing spec is an error (PIPELINE_SPEC_NOT_FOUND);
 * without it, returns undefined when no spec is found from `cwd` upwards.
 */
export async function findPipelineTarget(
  dir: string | undefined,
  cwd: string,
  bundle: BundleSelection = {},
): Promise<PipelineQueryTarget | undefined> {
  try {
    const spec = await loadSpec(dir, { cwd, ...bundle });
    return {
      name: spec.name,
      storage: spec.storage,
      ...(spec.schema !== undefined ? { schema: spec.schema } : {}),
      ...(spec.catalog !== undefined ? { catalog: spec.catalog } : {}),
    };
  } catch (e) {
    if (dir === undefined && e instanceof SluiceError && e.code === 'PIPELINE_SPEC_NOT_FOUND')
      return undefined;
    throw e;
  }
}
