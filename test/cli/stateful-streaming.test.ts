import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { ndjson, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SQL = `CREATE OR REFRESH STREAMING TABLE clicks
AS SELECT page, CAST(at AS TIMESTAMP) AS at FROM STREAM read_files('data', format => 'json');

CREATE OR REFRESH STREAMING TABLE clicks_per_minute
AS SELECT window(at, '1 minute') AS w, page, count(*) AS clicks
FROM STREAM(clicks) WATERMARK at DELAY OF INTERVAL 30 SECONDS
GROUP BY w, page
HAVING count(*) > 1;
`;

const click = (page: string, at: string) => ({ page, at: `2026-03-01T${at}Z` });

test('sluice run on a pipeline folder: a windowed aggregation over a streaming table emits each closed window once, across updates', async () => {
  const dir = tmpDir('cli-stateful');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: clicks\n',
    'transformations/clicks.sql': SQL,
    'data/1.json': ndjson([
      click('home', '10:00:05'),
      click('home', '10:00:50'),
      click('cart', '10:00:20'),
      click('home', '10:01:10'),
    ]),
  });
  const validate = await runCli(['validate', dir]);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  const first = await runCli(['run', dir]);
  assert.equal(first.code, 0, first.stderr);
  const query = async () => {
    const r = await runCli(
      [
        'query',
        '--format',
        'json',
        'SELECT CAST(w.start AS STRING) AS start, page, clicks FROM clicks_per_minute ORDER BY start, page',
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  // Watermark 10:00:40: no window has ended yet.
  assert.deepEqual(await query(), []);
  writeFiles(dir, {
    'data/2.json': ndjson([click('home', '10:01:40'), click('home', '10:00:59'), click('cart', '10:02:45')]),
  });
  const second = await runCli(['run', dir]);
  assert.equal(second.code, 0, second.stderr);
  // Watermark 10:02:15: 10:00 and 10:01 closed; cart's 10:00 window had one click (HAVING drops it).
  assert.deepEqual(await query(), [
    { start: '2026-03-01 10:00:00', page: 'home', clicks: 3 },
    { start: '2026-03-01 10:01:00', page: 'home', clicks: 2 },
  ]);
  writeFiles(dir, { 'data/3.json': ndjson([click('home', '10:00:30'), click('home', '10:05:00')]) });
  const third = await runCli(['run', dir]);
  assert.equal(third.code, 0, third.stderr);
  const events = await runCli(
    [
      'query',
      '--format',
      'json',
      "SELECT details:flow_progress.event_time.watermark AS watermark, details:flow_progress.state_operators[0].num_rows_dropped_by_watermark AS late, details:flow_progress.state_operators[0].state_bytes AS bytes FROM event_log WHERE event_type = 'flow_progress' AND origin.flow_name = 'clicks_per_minute' AND level = 'METRICS' ORDER BY timestamp",
    ],
    { cwd: dir },
  );
  assert.equal(events.code, 0, events.stderr);
  const progress = JSON.parse(events.stdout) as { watermark: string; late: number; bytes: number }[];
  assert.ok(Number(progress.at(-1)?.bytes) > 0, 'state bytes reported');
  // The late 10:00:30 click is dropped and counted; the watermark moved to 10:04:30.
  assert.equal(Number(progress.at(-1)?.late), 1);
  assert.match(String(progress.at(-1)?.watermark), /10:04:30/);
  assert.deepEqual(await query(), [
    { start: '2026-03-01 10:00:00', page: 'home', clicks: 3 },
    { start: '2026-03-01 10:01:00', page: 'home', clicks: 2 },
  ]);
});

test('sluice validate refuses a streaming aggregation Spark refuses in append mode, with its code and line', async () => {
  const dir = tmpDir('cli-stateful-refused');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: refused\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE clicks
AS SELECT page, CAST(at AS TIMESTAMP) AS at FROM STREAM read_files('data', format => 'json');

CREATE OR REFRESH STREAMING TABLE per_page
AS SELECT page, count(*) AS clicks FROM STREAM(clicks) WATERMARK at DELAY OF INTERVAL 30 SECONDS GROUP BY page;
`,
    'data/1.json': ndjson([click('home', '10:00:05')]),
  });
  const r = await runCli(['validate', dir]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stdout,
    /STREAMING_QUERY_NOT_SUPPORTED: streaming table 'per_page' groups a watermarked stream without an event-time window/,
  );
  assert.match(r.stdout, /transformations\/p\.sql:5/);
});
