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

test("sluice run on the docs' example: a window over a computed event time (WATERMARK to_timestamp(at_text) AS at), across updates", async () => {
  const dir = tmpDir('cli-event-time');
  const raw = (page: string, at: string) => ({ page, at_text: `2026-03-01 ${at}` });
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: clicks\n',
    'transformations/clicks.sql': `CREATE OR REFRESH STREAMING TABLE raw_clicks
AS SELECT * FROM STREAM read_files('data', format => 'json', schema => 'page STRING, at_text STRING');

CREATE OR REFRESH STREAMING TABLE clicks_per_minute
AS SELECT window(at, '1 minute').start AS minute, page, count(*) AS clicks
FROM STREAM(raw_clicks) WATERMARK to_timestamp(at_text) AS at DELAY OF INTERVAL 30 SECONDS
GROUP BY window(at, '1 minute'), page;
`,
    'data/1.json': ndjson([raw('home', '10:00:05'), raw('home', '10:00:50'), raw('cart', '10:01:10')]),
  });
  const validate = await runCli(['validate', dir]);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFiles(dir, { 'data/2.json': ndjson([raw('home', '10:02:40'), raw('home', '10:00:20')]) });
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFiles(dir, { 'data/3.json': ndjson([raw('home', '10:00:59'), raw('cart', '10:01:30')]) });
  assert.equal((await runCli(['run', dir])).code, 0);
  const r = await runCli(
    [
      'query',
      '--format',
      'json',
      'SELECT CAST(minute AS STRING) AS minute, page, clicks FROM clicks_per_minute ORDER BY minute, page',
    ],
    { cwd: dir },
  );
  assert.equal(r.code, 0, r.stderr);
  // Watermark 10:00:40, then 10:02:10: 10:00 and 10:01 closed, with the on-time 10:00:20 click;
  // the third update's 10:00:59 and 10:01:30 clicks are late (their windows ended) and dropped.
  assert.deepEqual(JSON.parse(r.stdout), [
    { minute: '2026-03-01 10:00:00', page: 'home', clicks: 3 },
    { minute: '2026-03-01 10:01:00', page: 'cart', clicks: 1 },
  ]);
  const late = await runCli(
    [
      'query',
      '--format',
      'json',
      "SELECT sum(details:flow_progress.state_operators[0].num_rows_dropped_by_watermark::INT) AS late FROM event_log WHERE event_type = 'flow_progress' AND origin.flow_name = 'clicks_per_minute' AND level = 'METRICS'",
    ],
    { cwd: dir },
  );
  assert.equal(late.code, 0, late.stderr);
  assert.equal(Number(JSON.parse(late.stdout)[0].late), 2);
});

test('sluice validate refuses a computed event time that is not a TIMESTAMP, with its code, dataset and line', async () => {
  const dir = tmpDir('cli-event-time-refused');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: refused\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE per_day
AS SELECT window(d, '1 day') AS w, count(*) AS n
FROM STREAM read_files('data', format => 'json', schema => 'page STRING, at_text STRING')
  WATERMARK to_date(at_text) AS d DELAY OF INTERVAL 1 HOUR
GROUP BY window(d, '1 day');
`,
    'data/1.json': ndjson([{ page: 'home', at_text: '2026-03-01 10:00:00' }]),
  });
  const r = await runCli(['validate', dir]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stdout,
    /EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE: the computed event time 'd' is of type DATE.*\[dataset per_day\] \(transformations\/p\.sql:4:13\)/,
  );
});
