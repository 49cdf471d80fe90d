import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conf, renderSql, sql, stream } from '../../src/api/index.ts';
import { isSluiceError } from '../../src/errors/index.ts';
import { session } from '../helpers/session.ts';

const parse = (text: string, configuration: Record<string, string>) =>
  session.sql.parsePipelineSql(text, { file: 'p.sql', configuration });

test('configuration values are data: a value that would change the statement is refused where it is used', async () => {
  const text = [
    'CREATE MATERIALIZED VIEW a AS SELECT * FROM t WHERE kind = ${kind};',
    "CREATE MATERIALIZED VIEW b AS SELECT * FROM t WHERE kind = '${quoted}';",
    "CREATE MATERIALIZED VIEW c AS SELECT * FROM t WHERE path = '${trailing}';",
  ].join('\n');
  const r = await parse(text, {
    kind: "'a' OR 1 = 1",
    quoted: "a' UNION SELECT * FROM secrets --",
    trailing: 'C:\\dir\\',
  });
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.dataset, e.location?.line, e.location?.column, e.params.key]),
    [
      ['UNSAFE_CONFIGURATION_VALUE', 'a', 1, 60, 'kind'],
      ['UNSAFE_CONFIGURATION_VALUE', 'b', 2, 61, 'quoted'],
      ['UNSAFE_CONFIGURATION_VALUE', 'c', 3, 61, 'trailing'],
    ],
  );
  assert.match(r.errors[1]!.message, /would end the string early/);
});

test('names, dotted paths, numbers and text inside quotes substitute as Lakeflow does', async () => {
  const r = await parse(
    "CREATE MATERIALIZED VIEW ${env}_totals AS SELECT count(*) AS n FROM ${schema}.events WHERE amount > ${min} AND note = '${note}' AND src = 'data/${env}/x';",
    { env: 'dev', schema: 'sales.raw', min: '-2.5', note: 'it is 50% off (today)' },
  );
  assert.deepEqual(r.errors, []);
  const d = r.definitions.datasets[0]!;
  assert.equal(d.name, 'dev_totals');
  assert.match(
    r.definitions.flows[0]!.query.source,
    /FROM sales\.raw\.events WHERE amount > -2\.5 AND note = 'it is 50% off \(today\)'/,
  );
});

test('TypeScript conf(key) follows the same rule', () => {
  const q = sql`SELECT * FROM ${stream('t')} WHERE kind = '${conf('kind')}' AND n > ${conf('n')}`;
  assert.equal(
    renderSql(q, { kind: 'a b', n: '3' }).text,
    "SELECT * FROM STREAM(t) WHERE kind = 'a b' AND n > 3",
  );
  assert.throws(
    () => renderSql(q, { kind: "x' OR 'y' = 'y", n: '3' }),
    (e: unknown) => isSluiceError(e) && e.code === 'UNSAFE_CONFIGURATION_VALUE' && e.params.key === 'kind',
  );
  assert.throws(
    () => renderSql(q, { kind: 'a', n: '3; DROP TABLE x' }),
    (e: unknown) => isSluiceError(e) && e.code === 'UNSAFE_CONFIGURATION_VALUE' && e.params.key === 'n',
  );
});
