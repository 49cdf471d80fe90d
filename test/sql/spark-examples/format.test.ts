import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../../helpers/session.ts';
import { formatRows, javaDoubleString, javaFloatString } from './format.ts';

test("doubles and floats print like Java's toString", () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [-0, '-0.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e10, '1.0E10'],
    [12345678.9, '1.23456789E7'],
    [1234567.5, '1234567.5'],
    [0.001, '0.001'],
    [0.0001, '1.0E-4'],
    [-2.5e-7, '-2.5E-7'],
    [Number.NaN, 'NaN'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ];
  for (const [d, s] of cases) assert.equal(javaDoubleString(d), s);
  assert.equal(javaFloatString(Math.fround(1.1)), '1.1');
  assert.equal(javaFloatString(Math.fround(3.4e38)), '3.4E38');
});

/** One row of DuckDB SQL, printed as Spark would print it. */
async function printed(sql: string): Promise<string> {
  const conn = await connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    const reader = await conn.runAndReadAll(sql);
    return formatRows(reader.getRows(), reader.columnTypes(), 'UTC');
  } finally {
    conn.closeSync();
  }
}

test('values print like Spark prints example results', async () => {
  const cases: [string, string][] = [
    ['NULL', 'NULL'],
    ['[1, NULL]', '[1,null]'],
    ["['a', NULL]", '["a",null]'],
    ["MAP {'b': 1, 'a': 2}", '{"a":2,"b":1}'],
    ["{'x': 1, 'y': 'z'}", '{"x":1,"y":"z"}'],
    ['[1.5::FLOAT]', '[1.5]'],
    ['CAST(1.50 AS DECIMAL(5, 2))', '1.50'],
    ["'Spark'::BLOB", 'Spark'],
    ["TIMESTAMPTZ '2024-01-02 03:04:05.120'", '2024-01-02 03:04:05.12'],
    ["TIMESTAMP '2024-01-02 03:04:05'", '2024-01-02 03:04:05'],
    ["DATE '2024-01-02'", '2024-01-02'],
    ["TIME '01:02:03.5'", '01:02:03.5'],
    ['INTERVAL 14 MONTH', '1-2'],
    ["INTERVAL '1 day 2 hours 3.5 seconds'", '1 02:00:03.500000000'],
    ["INTERVAL '1 month 2 days'", '1 months 2 days'],
    ['true', 'true'],
  ];
  for (const [sql, want] of cases) assert.equal(await printed(`SELECT ${sql}`), want, sql);
  assert.equal(await printed('SELECT 1, 2 UNION ALL SELECT 3, NULL'), '1\t2\n3\tNULL');
});
