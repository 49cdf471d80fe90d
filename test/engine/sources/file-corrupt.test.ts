import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../helpers/cli.ts';
import { duck, ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

type Flow = {
  flow: string;
  state: string;
  metrics: { num_output_rows: number };
  error?: { code: string; message: string; domain: string };
  warnings?: { code: string; message: string; params: Record<string, unknown> }[];
};

function pipeline(sql: string, files: Record<string, string | Buffer>): string {
  const dir = tmpDir('file-corrupt');
  writeFiles(dir, { 'spark-pipeline.yml': 'name: corrupt\n', 'transformations/p.sql': sql });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

async function run(dir: string, code = 0): Promise<Record<string, Flow>> {
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, code, r.stdout + r.stderr);
  return Object.fromEntries((JSON.parse(r.stdout).flows as Flow[]).map((f) => [f.flow, f]));
}

const table = (name: string, path: string, format: string, options = '') =>
  `CREATE OR REFRESH STREAMING TABLE ${name} (CONSTRAINT ok EXPECT (id IS NOT NULL))
AS SELECT * FROM STREAM read_files('${path}', format => '${format}'${options});\n`;

/** A JSON-lines file whose second line is not valid UTF-8. */
const BAD_UTF8 = Buffer.concat([
  Buffer.from('{"id": 10}\n{"id": '),
  Buffer.from([0xff, 0xfe]),
  Buffer.from('11}\n'),
]);

async function parquetFile(dir: string, name: string, ids: number[]): Promise<void> {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  await duck(
    `COPY (SELECT unnest([${ids.join(', ')}])::BIGINT AS id) TO '${join(dir, name)}' (FORMAT parquet)`,
  );
}

test('an undecodable file is SOURCE_FILE_UNREADABLE naming the file (and line), on every run, until it is fixed', async () => {
  const dir = pipeline(
    table('j', 'json', 'json') +
      table('c', 'csv', 'csv', ", header => 'true'") +
      table('p', 'parquet', 'parquet'),
    {
      'json/a.json': ndjson([{ id: 1 }]),
      'json/b.json': BAD_UTF8,
      'csv/a.csv': Buffer.concat([
        Buffer.from('id,v\n1,x\n2,'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('\n'),
      ]),
      'parquet/x.parquet': randomBytes(3000),
    },
  );
  for (let i = 0; i < 2; i++) {
    const flows = await run(dir, 1);
    assert.equal(flows.j!.error!.code, 'SOURCE_FILE_UNREADABLE');
    assert.match(
      flows.j!.error!.message,
      /^json\/b\.json:2: source file cannot be read: the line is not valid UTF-8.*ignoreCorruptFiles/,
    );
    assert.equal(flows.c!.error!.code, 'SOURCE_FILE_UNREADABLE');
    assert.match(flows.c!.error!.message, /^csv\/a\.csv:3: /);
    assert.equal(flows.p!.error!.code, 'SOURCE_FILE_UNREADABLE');
    assert.match(flows.p!.error!.message, /^source file parquet\/x\.parquet cannot be read: /);
    assert.equal(flows.p!.error!.domain, 'user', 'a corrupt file is not retried as transient');
  }
});

test('ignoreCorruptFiles (any case, cloudFiles. prefix too) skips files that cannot be decoded, each a SOURCE_FILE_SKIPPED warning naming it, once', async () => {
  const dir = pipeline(
    table('j', 'json', 'json', ", ignoreCorruptFiles => 'true'") +
      table('c', 'csv', 'csv', ", header => 'true', `cloudFiles.IGNORECORRUPTFILES` => 'true'") +
      table('p', 'parquet', 'parquet', ", ignorecorruptfiles => 'true'"),
    {
      'json/a.json': ndjson([{ id: 1 }, { id: 2 }]),
      'json/b.json': BAD_UTF8,
      'json/c.json': randomBytes(4096),
      'json/d.json.gz': Buffer.from('this is not a gzip stream\n'),
      'csv/a.csv': 'id,v\n1,x\n',
      'csv/b.csv': Buffer.concat([Buffer.from('id,v\n2,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
      'parquet/x.parquet': randomBytes(3000),
    },
  );
  await parquetFile(dir, 'parquet/good.parquet', [7, 8]);
  const flows = await run(dir);
  assert.equal(flows.j!.metrics.num_output_rows, 2);
  assert.equal(flows.c!.metrics.num_output_rows, 1);
  assert.equal(flows.p!.metrics.num_output_rows, 2);
  const skipped = Object.values(flows).flatMap((f) => f.warnings ?? []);
  assert.ok(skipped.every((w) => w.code === 'SOURCE_FILE_SKIPPED'));
  assert.deepEqual(
    skipped
      .map((w) => w.params.path)
      .map((p) => String(p).slice(dir.length + 1))
      .sort(),
    ['csv/b.csv', 'json/b.json', 'json/c.json', 'json/d.json.gz', 'parquet/x.parquet'],
  );
  const b = skipped.find((w) => String(w.params.path).endsWith('json/b.json'))!;
  assert.match(
    b.message,
    /^skipped source file json\/b\.json:2 \(ignoreCorruptFiles\): the line is not valid UTF-8/,
  );
  assert.deepEqual(
    (await readTable(tableDir(dir, 'j'), 'id')).map((x) => Number(x.id)),
    [1, 2],
  );

  const events = await runCli([
    'query',
    '--pipeline',
    dir,
    '--format',
    'json',
    '--',
    "SELECT error.code AS code FROM event_log WHERE level = 'WARN'",
  ]);
  assert.equal(events.code, 0, events.stderr);
  assert.equal(
    (JSON.parse(events.stdout) as { code: string }[]).filter((e) => e.code === 'SOURCE_FILE_SKIPPED').length,
    5,
  );

  const again = await run(dir);
  assert.ok(Object.values(again).every((f) => f.warnings === undefined && f.metrics.num_output_rows === 0));
});

test('.gz and .zst files are read as Spark reads them (CSV headers too); .bz2 is SOURCE_FILE_COMPRESSION_UNSUPPORTED; compression is a write option', async () => {
  const dir = pipeline(
    table('c', 'csv', 'csv', ", header => 'true', compression => 'gzip'") + table('j', 'json', 'json'),
    {
      'csv/a.csv.gz': gzipSync('id,name\n1,a\n2,b\n'),
      'csv/b.csv': 'id,name\n3,c\n',
      'json/a.json.gz': gzipSync(ndjson([{ id: 1 }, { id: 2 }])),
    },
  );
  await duck(
    `COPY (SELECT 3::BIGINT AS id UNION ALL SELECT 4) TO '${join(dir, 'json/b.json.zst')}' (FORMAT json, COMPRESSION zstd)`,
  );
  const flows = await run(dir);
  assert.equal(flows.c!.metrics.num_output_rows, 3);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'c'), 'id')).map((x) => [Number(x.id), x.name]),
    [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ],
  );
  assert.deepEqual(
    (await readTable(tableDir(dir, 'j'), 'id')).map((x) => Number(x.id)),
    [1, 2, 3, 4],
  );

  writeFileSync(join(dir, 'json/c.json.bz2'), 'BZh91AY&SY');
  const bz = await run(dir, 1);
  assert.equal(bz.j!.error!.code, 'SOURCE_FILE_COMPRESSION_UNSUPPORTED');
  assert.match(bz.j!.error!.message, /^source file json\/c\.json\.bz2 is bzip2-compressed/);

  writeFiles(dir, { 'transformations/p.sql': table('c', 'csv', 'csv', ", compression => 'rar'") });
  const bad = await run(dir, 1);
  assert.equal(bad.c!.error!.code, 'INVALID_FILE_SOURCE_OPTION');
});

test('a planned file deleted before it is read: SOURCE_FILE_UNREADABLE (external) naming it, or with ignoreMissingFiles a SOURCE_FILE_SKIPPED warning', async () => {
  const sql = (options: string) => table('j', 'json', 'json', options);
  const dir = pipeline(sql(''), { 'json/a.json': ndjson([{ id: 1 }]), 'json/b.json': ndjson([{ id: 2 }]) });
  const killed = await runCli(['run', dir], { env: { SLUICE_CRASH_AT: 'offset-written:j' } });
  assert.equal(killed.signal, 'SIGKILL');
  rmSync(join(dir, 'json/b.json'));
  const failed = await run(dir, 1);
  assert.equal(failed.j!.error!.code, 'SOURCE_FILE_UNREADABLE');
  assert.equal(failed.j!.error!.domain, 'external');
  assert.match(
    failed.j!.error!.message,
    /^source file json\/b\.json cannot be read: it no longer exists; .*ignoreMissingFiles/,
  );

  writeFiles(dir, { 'transformations/p.sql': sql(", ignoreMissingFiles => 'true'") });
  const flows = await run(dir);
  assert.equal(flows.j!.metrics.num_output_rows, 1, 'the replayed batch reads what is left of it');
  assert.deepEqual(
    flows.j!.warnings!.map((w) => [w.code, w.message]),
    [['SOURCE_FILE_SKIPPED', 'skipped source file json/b.json (ignoreMissingFiles): it no longer exists']],
  );
});
