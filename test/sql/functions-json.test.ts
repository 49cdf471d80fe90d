import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from '../helpers/session.ts';
import { rows, runBound } from './helpers.ts';

/**
 * Spark's JSON functions. Expected values are Spark's (its documented examples, and what its
 * Jackson-based reader and writer give), in DuckDB's text form of the same value. Where DuckDB
 * would read or print JSON differently from Spark, the translation raises a run-time error
 * naming the reason instead of returning another value; those cases are asserted too.
 */

async function jsonValue(expr: string): Promise<string | null> {
  const q = await session.sql.compileQuery(`SELECT ${expr} AS v`);
  const [r] = await rows(`SELECT CAST(v AS VARCHAR) AS v FROM (${q.sql})`);
  return (r!.v ?? null) as string | null;
}

async function expectValues(cases: readonly (readonly [string, string | null])[]): Promise<void> {
  const wrong: string[] = [];
  for (const [expr, expected] of cases) {
    const actual = await jsonValue(expr).catch((e: Error) => `error: ${e.message}`);
    if (actual !== expected) wrong.push(`${expr}: expected ${expected}, got ${actual}`);
  }
  assert.deepEqual(wrong, []);
}

async function expectRunError(expr: string, errorClass: string): Promise<void> {
  await assert.rejects(jsonValue(expr), (e: Error) => e.message.includes(`[${errorClass}]`));
}

async function expectRefused(expr: string, fn: string): Promise<void> {
  await assert.rejects(
    session.sql.compileQuery(`SELECT ${expr}`),
    (e: { code?: string; params?: { function?: string } }) => {
      assert.equal(e.code, 'UNSUPPORTED_SPARK_FUNCTION');
      assert.equal(e.params?.function?.toLowerCase(), fn);
      return true;
    },
  );
}

test('get_json_object: Spark paths, printing and malformed input', async () => {
  await expectValues([
    [`get_json_object('{"a":"b"}', '$.a')`, 'b'],
    [`get_json_object('[{"a":"b"},{"a":"c"}]', '$[0].a')`, 'b'],
    [`get_json_object('{"a b":2}', '$[''a b'']')`, '2'],
    [`get_json_object('{"a":{"b" : [1, 2.50, "x"]}}', '$.a')`, '{"b":[1,2.5,"x"]}'],
    [`get_json_object('{"a":null}', '$.a')`, null],
    [`get_json_object('{"a":1}', '$.b')`, null],
    [`get_json_object('{"a":1}', 'a')`, null],
    [`get_json_object('"text"', '$')`, 'text'],
    // A wildcard over the root array: Hive's form — one match as JSON, several as a JSON array.
    [`get_json_object('[{"a":"b"},{"a":"c"}]', '$[*].a')`, '["b","c"]'],
    [`get_json_object('[{"a":"b"},{"x":"c"},{"a":null}]', '$[*].a')`, '"b"'],
    [`get_json_object('[1,null]', '$[*]')`, '[1,null]'],
    [`get_json_object('{"a":1}', '$[*].a')`, null],
    // Malformed input: NULL when Spark's parser is sure to fail (not an object or array; cut
    // short; a trailing comma or NaN Jackson rejects).
    [`get_json_object('plain text', '$.a')`, null],
    [`get_json_object('{"a":{"b":1}', '$.a')`, null],
    [`get_json_object('{"a":1,}', '$.a')`, null],
    [`get_json_object('{"a":NaN}', '$.a')`, null],
    [`get_json_object('', '$.a')`, null],
    [`get_json_object(null, '$.a')`, null],
  ]);
  // Spark's parser stops after the value and accepts single quotes; DuckDB's does neither.
  await expectRunError(`get_json_object('{"a":"x"} trailing', '$.a')`, 'SLUICE_JSON_NOT_STANDARD');
  await expectRunError(`get_json_object('{''a'':1}', '$.a')`, 'SLUICE_JSON_NOT_STANDARD');
  // Java prints 1.5E10 where DuckDB prints 15000000000.0.
  await expectRunError(`get_json_object('{"a":1.5e10}', '$.a')`, 'SLUICE_JSON_NUMBER_FORMAT');
  await expectRefused(`get_json_object('[[1]]', '$[*][*]')`, 'get_json_object');
  await expectRefused(`get_json_object('{}', concat('$.', 'a'))`, 'get_json_object');
});

test('json_tuple is a generator of one row with a column per field', async () => {
  const q = await session.sql.compileQuery(`SELECT k, json_tuple(j, 'a', 'b', 'c') FROM t ORDER BY k`);
  const out = await runBound(`SELECT * FROM (${q.sql})`, [
    `SELECT * FROM (VALUES (1, '{"a":1, "b":{"x":[true]}}'), (2, 'not json'), (3, NULL), (4, '[1]')) v(k, j)`,
  ]);
  assert.deepEqual(out, [
    { k: 1, c0: '1', c1: '{"x":[true]}', c2: null },
    { k: 2, c0: null, c1: null, c2: null },
    { k: 3, c0: null, c1: null, c2: null },
    { k: 4, c0: null, c1: null, c2: null },
  ]);
  await expectValues([[`json_tuple('{"a":1, "b":2}', 'b')`, '2']]);
  // Spark takes the last of two equal keys; DuckDB the first.
  await expectRunError(`json_tuple('{"a":1, "a":2}', 'a')`, 'SLUICE_JSON_DUPLICATE_KEY');
});

test('json_array_length and json_object_keys', async () => {
  await expectValues([
    [`json_array_length('[1,2,3,4]')`, '4'],
    [`json_array_length('[1,2,3,{"f1":1,"f2":[5,6]},4]')`, '5'],
    [`json_array_length('[1,2')`, null],
    [`json_array_length('{}')`, null],
    [`json_object_keys('{}')`, '[]'],
    [`json_object_keys('{"key": "value"}')`, '[key]'],
    [`json_object_keys('{"f1":"abc","f2":{"f3":"a", "f4":"b"}}')`, '[f1, f2]'],
    [`json_object_keys('[1]')`, null],
  ]);
});

test('from_json reads a DDL schema; values that do not match are errors, not guesses', async () => {
  await expectValues([
    [`from_json('{"a":1, "b":0.8}', 'a INT, b DOUBLE')`, "{'a': 1, 'b': 0.8}"],
    [
      `from_json('{"teacher": "Alice", "student": [{"name": "Bob", "rank": 1}, {"name": "Charlie", "rank": 2}]}', 'STRUCT<teacher: STRING, student: ARRAY<STRUCT<name: STRING, rank: INT>>>')`,
      "{'teacher': Alice, 'student': [{'name': Bob, 'rank': 1}, {'name': Charlie, 'rank': 2}]}",
    ],
    // A missing field or JSON null is NULL; a non-string value in a STRING field is its JSON text.
    [`from_json('{"a":{"x":[1,2.5]}}', 'a STRING, b INT')`, `{'a': '{"x":[1,2.5]}', 'b': NULL}`],
    [`from_json('{"m":{"k":1,"j":null}}', 'm MAP<STRING, BIGINT>')`, "{'m': {k=1, j=NULL}}"],
    [`from_json('[1,2]', 'ARRAY<INT>')`, '[1, 2]'],
    [`from_json('', 'a INT')`, null],
    [`from_json(null, 'a INT')`, null],
    [`from_json('{"a":1}', schema_of_json('{"a":0}')).a`, '1'],
  ]);
  await expectRunError(`from_json('{"a":"1"}', 'a INT')`, 'SLUICE_JSON_BAD_RECORD');
  await expectRunError(`from_json('{"a":1,"a":2}', 'a INT')`, 'SLUICE_JSON_BAD_RECORD');
  await expectRunError(`from_json('{"a":1', 'a INT')`, 'SLUICE_JSON_NOT_STANDARD');
  await expectRefused(`from_json('{}', 'a INT', map('mode', 'FAILFAST'))`, 'from_json');
  await expectRefused(`from_json('{}', 'a TIMESTAMP')`, 'from_json');
  await expectRefused(`from_json('{}', 'a DECIMAL(5,2)')`, 'from_json');
});

test('schema_of_json of a literal is computed as Spark infers it', async () => {
  await expectValues([
    [`schema_of_json('[{"col":0}]')`, 'ARRAY<STRUCT<col: BIGINT>>'],
    [
      `schema_of_json('{"b":[1,2.5],"a":{"c":""},"e":{},"z":12345678901234567890123}')`,
      'STRUCT<a: STRUCT<c: STRING>, b: ARRAY<DOUBLE>, z: DECIMAL(23,0)>',
    ],
    [`schema_of_json('{"a b":[true, 1]}')`, 'STRUCT<`a b`: ARRAY<STRING>>'],
    [`schema_of_json('[]')`, 'ARRAY<STRING>'],
  ]);
  await expectValues([
    [`schema_of_json('[{"col":01}]', map('allowNumericLeadingZeros', 'true'))`, 'ARRAY<STRUCT<col: BIGINT>>'],
  ]);
  await expectRefused(`schema_of_json('[{"col":01}]')`, 'schema_of_json');
  await expectRefused(`schema_of_json('{}', map('primitivesAsString', 'true'))`, 'schema_of_json');
});

test('to_json prints like Spark, or fails where it would print differently', async () => {
  await expectValues([
    [`to_json(named_struct('a', 1, 'b', 2))`, '{"a":1,"b":2}'],
    [`to_json(array(named_struct('a', 1, 'b', 2)))`, '[{"a":1,"b":2}]'],
    [`to_json(map('a', named_struct('b', 1)))`, '{"a":{"b":1}}'],
    [`to_json(map('a', 1))`, '{"a":1}'],
    [`to_json(array(map('a', 1)))`, '[{"a":1}]'],
    // Spark leaves NULL struct fields out, keeps NULL array elements and map values.
    [`to_json(named_struct('a', 1, 'b', null, 'c', named_struct('d', cast(null AS int))))`, '{"a":1,"c":{}}'],
    [`to_json(map('x', array(1, null)))`, '{"x":[1,null]}'],
    [`to_json(named_struct('a', array('x', null), 'b', null))`, '{"a":["x",null]}'],
    [`to_json(named_struct('d', DATE '2015-08-26', 's', 'q"\\\\'))`, '{"d":"2015-08-26","s":"q\\"\\\\"}'],
    [`to_json(if(1 = 0, named_struct('a', 1), null))`, null],
  ]);
  await expectRunError(
    `to_json(array(named_struct('a', 1, 'b', cast(null AS int))))`,
    'SLUICE_TO_JSON_NULL_FIELD',
  );
  await expectRunError(`to_json(named_struct('t', TIMESTAMP '2015-08-26 00:00:00'))`, 'SLUICE_TO_JSON_TYPE');
  await expectRunError(`to_json(named_struct('x', 1.5))`, 'SLUICE_TO_JSON_TYPE');
  await expectRunError(`to_json(named_struct('x', cast('1e10' AS double)))`, 'SLUICE_JSON_NUMBER_FORMAT');
  await expectRefused(`to_json(map(named_struct('a', 1), named_struct('b', 2)))`, 'to_json');
  await expectRefused(`to_json(named_struct('a', 1), map('timestampFormat', 'dd/MM/yyyy'))`, 'to_json');
});
