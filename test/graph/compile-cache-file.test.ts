import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileCacheFile, loadPipelineDefinitions } from '../../src/graph/index.ts';
import { loadSpec } from '../../src/spec/index.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, writeFiles } from '../helpers/pipeline.ts';
import { session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

after(() => session.close());

function pipeline(prefix: string): string {
  const dir = tmpDir(prefix);
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: cached\nconfiguration:\n  min: "0"\n',
    'data/in/1.json': ndjson([
      { id: 1, v: 2.5 },
      { id: 2, v: 4 },
    ]),
    'transformations/a.sql': `CREATE STREAMING TABLE raw AS SELECT * FROM STREAM read_files('data/in');
CREATE MATERIALIZED VIEW big AS SELECT id, v * 1e2 AS cents FROM raw WHERE id > \${min};
`,
  });
  return dir;
}

async function load(dir: string) {
  const spec = await loadSpec(dir, {});
  const r = await loadPipelineDefinitions(spec, session.sql);
  assert.deepEqual(r.errors, []);
  return r.definitions.flows;
}

type CacheJson = { salt: string; entries: Record<string, { query: { sql: string; source: string } }> };
const readCache = (dir: string) =>
  JSON.parse(readFileSync(compileCacheFile(join(dir, '.sluice')), 'utf8')) as CacheJson;

/** Marks every cached query's SQL, so a load that returns the mark read it from the cache. */
function markCache(dir: string): void {
  const c = readCache(dir);
  for (const e of Object.values(c.entries)) e.query.sql = `${e.query.sql} /* cached */`;
  writeFileSync(compileCacheFile(join(dir, '.sluice')), JSON.stringify(c));
}

test('a load keeps compiled queries under the storage folder, and the next load reads them', async () => {
  const dir = pipeline('compile-cache');
  const flows = await load(dir);
  assert.equal(Object.keys(readCache(dir).entries).length, 2);
  assert.match(readCache(dir).salt, /^sluice \S+; duckdb \S+; sources [0-9a-f]{64}$/);
  markCache(dir);
  const again = await load(dir);
  assert.deepEqual(
    again.map((f) => f.query.sql),
    flows.map((f) => `${f.query.sql} /* cached */`),
  );
  // An edit compiles the edited statement only.
  writeFileSync(
    join(dir, 'transformations/a.sql'),
    readFileSync(join(dir, 'transformations/a.sql'), 'utf8').replace('1e2', '1e3'),
  );
  const edited = await load(dir);
  assert.match(edited[0]!.query.sql, /cached/);
  assert.doesNotMatch(edited[1]!.query.sql, /cached/);
  assert.match(edited[1]!.query.sql, /1000\.0/);
  // A configuration value it substitutes changed: a miss too.
  writeFileSync(join(dir, 'spark-pipeline.yml'), 'name: cached\nconfiguration:\n  min: "1"\n');
  const reconfigured = await load(dir);
  assert.match(reconfigured[1]!.query.sql, /> 1/);
});

test('a damaged cache file or one written by other code is a miss; the load rewrites it', async () => {
  const dir = pipeline('compile-cache-damaged');
  const flows = await load(dir);
  const file = compileCacheFile(join(dir, '.sluice'));
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100));
  assert.deepEqual(await load(dir), flows);
  assert.equal(Object.keys(readCache(dir).entries).length, 2);

  markCache(dir);
  const other = readCache(dir);
  writeFileSync(
    file,
    JSON.stringify({ ...other, salt: other.salt.replace(/sluice \S+/, 'sluice 0.0.0-other') }),
  );
  const reloaded = await load(dir);
  assert.deepEqual(reloaded, flows);
  assert.ok(reloaded.every((f) => !f.query.sql.includes('cached')));
});

test('`sluice run` leaves the cache that a later command (here validate) reads; SLUICE_COMPILE_CACHE=0 leaves none', async () => {
  const dir = pipeline('compile-cache-cli');
  const none = await runCli(['validate', dir], { env: { SLUICE_COMPILE_CACHE: '0' } });
  assert.equal(none.code, 0, none.stderr);
  assert.equal(existsSync(compileCacheFile(join(dir, '.sluice'))), false);
  const run = await runCli(['run', dir]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(Object.keys(readCache(dir).entries).length, 2);
  // Same code (bundle or sources): a validate from the sources hits what the bundled run wrote.
  markCache(dir);
  const flows = await load(dir);
  assert.ok(flows.every((f) => f.query.sql.endsWith('/* cached */')));
});
