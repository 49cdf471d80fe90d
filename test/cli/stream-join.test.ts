import assert from 'node:assert/strict';
import { test } from 'node:test';
import { query as chdb } from 'chdb';
import { runCli } from '../helpers/cli.ts';
import { ndjson, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const TABLES = `CREATE OR REFRESH STREAMING TABLE impressions
AS SELECT ad, CAST(shown AS TIMESTAMP) AS shown FROM STREAM read_files('impressions', format => 'json');

CREATE OR REFRESH STREAMING TABLE clicks
AS SELECT ad, CAST(clicked AS TIMESTAMP) AS clicked FROM STREAM read_files('clicks', format => 'json');
`;

const join = (type: string) => `${TABLES}
CREATE OR REFRESH STREAMING TABLE ad_clicks AS
SELECT i.ad, i.shown, c.clicked
FROM STREAM(impressions) WATERMARK shown DELAY OF INTERVAL 10 SECONDS AS i
${type} STREAM(clicks) WATERMARK clicked DELAY OF INTERVAL 10 SECONDS AS c
ON i.ad = c.ad AND c.clicked BETWEEN i.shown AND i.shown + INTERVAL 1 MINUTE;
`;

const at = (t: string) => `2026-03-01T${t}Z`;

test('sluice run on a pipeline folder: a left outer stream–stream join emits matches as they are found and unmatched impressions with NULLs once the watermark passes, across updates', async () => {
  const dir = tmpDir('cli-stream-join');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ads\n',
    'transformations/ads.sql': join('LEFT JOIN'),
    'impressions/1.json': ndjson([
      { ad: 'a1', shown: at('10:00:00') },
      { ad: 'a2', shown: at('10:00:10') },
    ]),
    'clicks/1.json': ndjson([{ ad: 'a1', clicked: at('10:00:30') }]),
  });
  const validate = await runCli(['validate', dir]);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  assert.equal((await runCli(['run', dir])).code, 0);
  const rows = async () => {
    const r = await runCli(
      [
        'query',
        '--format',
        'json',
        'SELECT ad, CAST(shown AS STRING) AS shown, CAST(clicked AS STRING) AS clicked FROM ad_clicks ORDER BY ad',
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  // Watermark min(10:00:00, 10:00:20) = 10:00:00: a2 may still be clicked.
  assert.deepEqual(await rows(), [
    { ad: 'a1', shown: '2026-03-01 10:00:00', clicked: '2026-03-01 10:00:30' },
  ]);

  writeFiles(dir, {
    // a4 is late (at or before the 10:00:00 watermark): dropped, so its click matches nothing.
    'impressions/2.json': ndjson([
      { ad: 'a3', shown: at('10:03:00') },
      { ad: 'a4', shown: at('09:59:50') },
    ]),
    'clicks/2.json': ndjson([
      { ad: 'a4', clicked: at('10:00:30') },
      { ad: 'a9', clicked: at('10:03:30') },
    ]),
  });
  const second = await runCli(['run', dir]);
  assert.equal(second.code, 0, second.stderr);
  // Watermark min(10:02:50, 10:03:20) = 10:02:50: a2 (10:00:10 + 1 minute) can no longer match.
  const expected = [
    { ad: 'a1', shown: '2026-03-01 10:00:00', clicked: '2026-03-01 10:00:30' },
    { ad: 'a2', shown: '2026-03-01 10:00:10', clicked: null },
  ];
  assert.deepEqual(await rows(), expected);
  // The independent Delta reader sees the same rows.
  const viaChdb = JSON.parse(
    chdb(
      `SELECT ad, toString(shown) AS shown, toString(clicked) AS clicked FROM deltaLakeLocal('${tableDir(dir, 'ad_clicks')}') ORDER BY ad SETTINGS session_timezone = 'UTC'`,
      'JSON',
    ),
  ).data;
  assert.deepEqual(
    viaChdb.map((r: { ad: string; shown: string; clicked: string | null }) => [
      r.ad,
      r.shown.slice(0, 19),
      r.clicked?.slice(0, 19) ?? null,
    ]),
    expected.map((r) => [r.ad, r.shown, r.clicked]),
  );
  const events = await runCli(
    [
      'query',
      '--format',
      'json',
      "SELECT details:flow_progress.event_time.watermark AS watermark, details:flow_progress.state_operators[0].num_rows_dropped_by_watermark AS late FROM event_log WHERE event_type = 'flow_progress' AND origin.flow_name = 'ad_clicks' AND level = 'METRICS' ORDER BY timestamp",
    ],
    { cwd: dir },
  );
  assert.equal(events.code, 0, events.stderr);
  const progress = JSON.parse(events.stdout) as { watermark: string; late: number }[];
  assert.equal(Number(progress.at(-1)?.late), 1);
  assert.match(String(progress.at(-1)?.watermark), /10:02:50/);
});

test('sluice validate refuses a full outer stream–stream join with its code and line', async () => {
  const dir = tmpDir('cli-stream-join-refused');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: ads\n',
    'transformations/ads.sql': join('FULL OUTER JOIN'),
  });
  const r = await runCli(['validate', dir]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stdout,
    /STREAM_JOIN_NOT_SUPPORTED: streaming table 'ad_clicks' full-outer-joins two streams/,
  );
  assert.match(r.stdout, /transformations\/ads\.sql:(8|9|10)/);
});
