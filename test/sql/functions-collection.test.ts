import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from '../helpers/session.ts';
import { rows, runBound } from './helpers.ts';

/**
 * Spark's array, map, struct, lambda and generator functions. Expected values are Spark's (its
 * documented examples, and its documented NULL and error behaviour under ANSI mode), written in
 * DuckDB's text form of the same value (`[1, NULL]`, `{'a': 1}`, `{k=v}`).
 */

/** Compiles `SELECT <expr>` as a pipeline query and returns the value as DuckDB text, and its type. */
async function evaluate(expr: string): Promise<{ value: string | null; type: string }> {
  const q = await session.sql.compileQuery(`SELECT ${expr} AS v`);
  const [r] = await rows(`SELECT CAST(v AS VARCHAR) AS v, typeof(v) AS t FROM (${q.sql})`);
  return { value: (r!.v ?? null) as string | null, type: String(r!.t) };
}

async function sparkValue(expr: string): Promise<string | null> {
  return (await evaluate(expr)).value;
}

/** Asserts a list of [expression, expected value] pairs, reporting every mismatch at once. */
async function expectValues(cases: readonly (readonly [string, string | null])[]): Promise<void> {
  const wrong: string[] = [];
  for (const [expr, expected] of cases) {
    const actual = await sparkValue(expr).catch((e: Error) => `error: ${e.message}`);
    if (actual !== expected) wrong.push(`${expr}: expected ${expected}, got ${actual}`);
  }
  assert.deepEqual(wrong, []);
}

/** Asserts that the query compiles and fails at run time with Spark's error class. */
async function expectRunError(expr: string, errorClass: string): Promise<void> {
  await assert.rejects(sparkValue(expr), (e: Error) => e.message.includes(`[${errorClass}]`));
}

async function expectRefused(sql: string, fn: string): Promise<void> {
  await assert.rejects(
    session.sql.compileQuery(sql),
    (e: { code?: string; params?: { function?: string } }) => {
      assert.equal(e.code, 'UNSUPPORTED_SPARK_FUNCTION');
      assert.equal(e.params?.function?.toLowerCase(), fn);
      return true;
    },
  );
}

test("arrays: Spark's documented examples", async () => {
  await expectValues([
    ["sort_array(array('b', 'd', null, 'c', 'a'), true)", '[NULL, a, b, c, d]'],
    ["sort_array(array('b', 'd', null, 'c', 'a'), false)", '[d, c, b, a, NULL]'],
    ['array_distinct(array(1, 2, 3, null, 3))', '[1, 2, 3, NULL]'],
    ['array_union(array(1, 2, 3), array(1, 3, 5))', '[1, 2, 3, 5]'],
    ['array_intersect(array(1, 2, 3), array(1, 3, 5))', '[1, 3]'],
    ['array_except(array(1, 2, 3), array(1, 3, 5))', '[2]'],
    ['arrays_overlap(array(1, 2, 3), array(3, 4, 5))', 'true'],
    ['slice(array(1, 2, 3, 4), 2, 2)', '[2, 3]'],
    ['slice(array(1, 2, 3, 4), -2, 2)', '[3, 4]'],
    ["array_join(array('hello', 'world'), ' ')", 'hello world'],
    ["array_join(array('hello', null ,'world'), ' ')", 'hello world'],
    ["array_join(array('hello', null ,'world'), ' ', ',')", 'hello , world'],
    ['array_min(array(1, 20, null, 3))', '1'],
    ['array_max(array(1, 20, null, 3))', '20'],
    ['array_position(array(312, 773, 708, 708), 708)', '3'],
    ['array_position(array(312, 773, 708, 708), 414)', '0'],
    ['get(array(1, 2, 3), 0)', '1'],
    ['get(array(1, 2, 3), 3)', null],
    ['get(array(1, 2, 3), -1)', null],
    ['element_at(array(1, 2, 3), 2)', '2'],
    ["element_at(map(1, 'a', 2, 'b'), 2)", 'b'],
    ['try_element_at(array(1, 2, 3), 2)', '2'],
    ['sequence(1, 5)', '[1, 2, 3, 4, 5]'],
    ['sequence(5, 1)', '[5, 4, 3, 2, 1]'],
    ["array_repeat('123', 2)", '[123, 123]'],
    ['array_remove(array(1, 2, 3, null, 3), 3)', '[1, 2, NULL]'],
    ['array_insert(array(1, 2, 3, 4), 5, 5)', '[1, 2, 3, 4, 5]'],
    ['array_insert(array(5, 4, 3, 2), -1, 1)', '[5, 4, 3, 2, 1]'],
    ['array_insert(array(5, 3, 2, 1), -4, 4)', '[5, 4, 3, 2, 1]'],
    ['array_compact(array(1, 2, 3, null))', '[1, 2, 3]'],
    ["array_append(array('b', 'd', 'c', 'a'), 'd')", '[b, d, c, a, d]'],
    ['array_append(array(1, 2, 3, null), null)', '[1, 2, 3, NULL, NULL]'],
    ["array_prepend(array('b', 'd', 'c', 'a'), 'd')", '[d, b, d, c, a]'],
    ['array_prepend(array(1, 2, 3, null), null)', '[NULL, 1, 2, 3, NULL]'],
    [
      'arrays_zip(array(1, 2), array(2, 3), array(3, 4))',
      "[{'0': 1, '1': 2, '2': 3}, {'0': 2, '1': 3, '2': 4}]",
    ],
    ['flatten(array(array(1, 2), array(3, 4)))', '[1, 2, 3, 4]'],
    ['reverse(array(2, 1, 4, 3))', '[3, 4, 1, 2]'],
    ["reverse('Spark SQL')", 'LQS krapS'],
    ["size(array('b', 'd', 'c', 'a'))", '4'],
    ["size(map('a', 1, 'b', 2))", '2'],
    ["cardinality(map('a', 1, 'b', 2))", '2'],
    ["array_size(array('b', 'd', 'c', 'a'))", '4'],
  ]);
});

test('arrays: NULL elements and NULL arguments follow Spark', async () => {
  await expectValues([
    // Not found in an array holding NULL is NULL; a NULL array or value is NULL.
    ['array_contains(array(1, null), 3)', null],
    ['array_contains(array(1, null), 1)', 'true'],
    ['array_contains(array(1, 2), null)', null],
    ['array_contains(array(1, 2), 3)', 'false'],
    // Set functions keep the first occurrence of each value, NULL included once.
    ['array_distinct(array(1, null, 2, null, 1))', '[1, NULL, 2]'],
    ['array_union(array(1, null), array(null, 3, 1))', '[1, NULL, 3]'],
    ['array_intersect(array(1, null, 2, 2), array(2, null))', '[NULL, 2]'],
    ['array_except(array(1, null, 2, 2), array(2))', '[1, NULL]'],
    ['array_except(array(1, null), array(null))', '[1]'],
    // No common element and a NULL somewhere: NULL; an empty side: false.
    ['arrays_overlap(array(1, null), array(3))', null],
    ['arrays_overlap(array(1), array(1, null))', 'true'],
    ['arrays_overlap(array(1), array())', 'false'],
    ['array_position(array(1, null), null)', null],
    ['array_remove(array(1, null, 2, 1), 1)', '[NULL, 2]'],
    ['array_remove(array(1, 2), null)', null],
    ["array_join(array('a', null), ',', null)", null],
    ["array_join(array('a', null), null)", null],
    ['flatten(array(array(1), null))', null],
    ['size(null)', null],
    ['array_repeat(null, 2)', '[NULL, NULL]'],
    ["array_repeat('a', -1)", '[]'],
    ['array_append(array_compact(array(null)), 1)', '[1]'],
    // Outside the array: slice gives [], array_insert pads with NULLs.
    ['slice(array(1, 2, 3), -5, 2)', '[]'],
    ['slice(array(1, 2, 3), 4, 2)', '[]'],
    ['slice(array(1, 2, 3), -1, 5)', '[3]'],
    ['array_insert(array(1, 2), 5, 9)', '[1, 2, NULL, NULL, 9]'],
    ['array_insert(array(1, 2), -5, 9)', '[9, NULL, NULL, 1, 2]'],
    ['array_insert(array(1, 2), -2, 9)', '[1, 9, 2]'],
    ['element_at(array(1, 2), -2)', '1'],
    ['try_element_at(array(1, 2), 3)', null],
    ["element_at(map('a', 1), 'b')", null],
    ['sequence(1, 10, 3)', '[1, 4, 7, 10]'],
    ['sequence(10, 1, -4)', '[10, 6, 2]'],
    ['sequence(3, 3, 0)', '[3]'],
  ]);
});

test('arrays: ANSI errors at run time', async () => {
  await expectRunError('element_at(array(1, 2), 3)', 'INVALID_ARRAY_INDEX_IN_ELEMENT_AT');
  await expectRunError('element_at(array(1, 2), 0)', 'INVALID_INDEX_OF_ZERO');
  await expectRunError('try_element_at(array(1, 2), 0)', 'INVALID_INDEX_OF_ZERO');
  await expectRunError('slice(array(1, 2, 3), 0, 1)', 'INVALID_PARAMETER_VALUE.START');
  await expectRunError('slice(array(1, 2, 3), 1, -1)', 'INVALID_PARAMETER_VALUE.LENGTH');
  await expectRunError('array_insert(array(1, 2), 0, 9)', 'INVALID_INDEX_OF_ZERO');
  await expectRunError('sequence(1, 5, -1)', 'INVALID_SEQUENCE_BOUNDARIES');
  await expectRunError("map_concat(map('a', 1), map('a', 2))", 'DUPLICATED_MAP_KEY');
  // An index into a NULL array is NULL, not an error.
  assert.equal(await sparkValue('element_at(cast(null AS array<int>), 0)'), null);
});

test("arrays: result types are Spark's", async () => {
  assert.equal((await evaluate('size(array(1, 2))')).type, 'INTEGER');
  assert.equal((await evaluate('array_position(array(1, 2), 2)')).type, 'BIGINT');
  assert.equal((await evaluate('sequence(1, 3)')).type, 'INTEGER[]');
  assert.equal((await evaluate('transform(array(1, 2), (x, i) -> i)')).type, 'INTEGER[]');
  assert.equal((await evaluate('arrays_overlap(array(1), array(2))')).type, 'BOOLEAN');
});

test("lambdas: Spark's documented examples", async () => {
  await expectValues([
    ['transform(array(1, 2, 3), x -> x + 1)', '[2, 3, 4]'],
    // The index counts from 0.
    ['transform(array(1, 2, 3), (x, i) -> x + i)', '[1, 3, 5]'],
    ['filter(array(1, 2, 3), x -> x % 2 == 1)', '[1, 3]'],
    ['filter(array(0, 2, 3), (x, i) -> x > i)', '[2, 3]'],
    ['filter(array(0, null, 2, 3, null), x -> x IS NOT NULL)', '[0, 2, 3]'],
    ['exists(array(1, 2, 3), x -> x % 2 == 0)', 'true'],
    ['exists(array(1, 2, 3), x -> x % 2 == 10)', 'false'],
    ['exists(array(1, null, 3), x -> x % 2 == 0)', null],
    ['exists(array(0, null, 2, 3, null), x -> x IS NULL)', 'true'],
    ['forall(array(1, 2, 3), x -> x % 2 == 0)', 'false'],
    ['forall(array(2, 4, 8), x -> x % 2 == 0)', 'true'],
    ['forall(array(1, null, 3), x -> x % 2 == 0)', 'false'],
    ['forall(array(2, null, 8), x -> x % 2 == 0)', null],
    ['aggregate(array(1, 2, 3), 0, (acc, x) -> acc + x)', '6'],
    ['aggregate(array(1, 2, 3), 0, (acc, x) -> acc + x, acc -> acc * 10)', '60'],
    ['reduce(array(1, 2, 3), 0, (acc, x) -> acc + x, acc -> acc * 10)', '60'],
    [
      "zip_with(array(1, 2, 3), array('a', 'b', 'c'), (x, y) -> (y, x))",
      "[{'y': a, 'x': 1}, {'y': b, 'x': 2}, {'y': c, 'x': 3}]",
    ],
    ['zip_with(array(1, 2), array(3, 4), (x, y) -> x + y)', '[4, 6]'],
    ["zip_with(array('a', 'b', 'c'), array('d', 'e', 'f'), (x, y) -> concat(x, y))", '[ad, be, cf]'],
    ['map_filter(map(1, 0, 2, 2, 3, -1), (k, v) -> k > v)', '{1=0, 3=-1}'],
    ['transform_keys(map_from_arrays(array(1, 2, 3), array(1, 2, 3)), (k, v) -> k + v)', '{2=1, 4=2, 6=3}'],
    ['transform_values(map_from_arrays(array(1, 2, 3), array(1, 2, 3)), (k, v) -> k + v)', '{1=2, 2=4, 3=6}'],
    [
      "map_zip_with(map('a', 1, 'b', 2), map('b', 3, 'c', 4), (k, v1, v2) -> coalesce(v1, 0) + coalesce(v2, 0))",
      '{a=1, b=5, c=4}',
    ],
    [
      'array_sort(array(5, 6, 1), (left, right) -> case when left < right then -1 when left > right then 1 else 0 end)',
      '[1, 5, 6]',
    ],
    [
      "array_sort(array('bc', 'ab', 'dc'), (left, right) -> case when left is null and right is null then 0 when left is null then -1 when right is null then 1 when left < right then 1 when left > right then -1 else 0 end)",
      '[dc, bc, ab]',
    ],
    ["array_sort(array('b', 'd', null, 'c', 'a'))", '[a, b, c, d, NULL]'],
  ]);
});

test('lambdas: variables, NULL arrays, shadowing and comparators', async () => {
  await expectValues([
    ['transform(cast(null AS array<int>), x -> x + 1)', null],
    ['exists(cast(null AS array<int>), x -> x > 1)', null],
    ['forall(array(), x -> x > 1)', 'true'],
    ['aggregate(cast(null AS array<int>), 0, (acc, x) -> acc + x)', null],
    ['zip_with(array(1, 2, 3), array(10), (x, y) -> coalesce(y, 0) + x)', '[11, 2, 3]'],
    ['zip_with(array(1), cast(null AS array<int>), (x, y) -> x)', null],
    // A nested lambda that declares the same name hides the outer variable.
    ['transform(array(1, 2), (x, i) -> transform(array(10, 20), i -> i + x))', '[[11, 21], [12, 22]]'],
    ['transform(array(5, 6), (x, i) -> transform(array(10), y -> y + i))', '[[10], [11]]'],
    // Stable: equal elements keep their order (by the comparator's key, the first letter).
    [
      "array_sort(array('b2', 'a1', 'b1', 'a2'), (l, r) -> case when substr(l, 1, 1) < substr(r, 1, 1) then -1 when substr(l, 1, 1) > substr(r, 1, 1) then 1 else 0 end)",
      '[a1, a2, b2, b1]',
    ],
  ]);
  // A comparator that calls NULL equal to everything orders nothing consistently: an error.
  await expectRunError(
    'array_sort(array(3, null, 1), (l, r) -> case when l < r then -1 when l > r then 1 else 0 end)',
    'ARRAY_SORT_INCONSISTENT_COMPARATOR',
  );
  await expectRunError('array_sort(array(2, 1), (l, r) -> cast(null AS int))', 'COMPARATOR_RETURNS_NULL');
  await expectRefused('SELECT transform(array(1), (x, y, z) -> x)', 'transform');
  await expectRefused('SELECT exists(array(1), (x, i) -> x > i)', 'exists');
});

test('maps and structs', async () => {
  await expectValues([
    ["map(1.0, '2', 3.0, '4')", '{1.0=2, 3.0=4}'],
    ["map_from_arrays(array(1.0, 3.0), array('2', '4'))", '{1.0=2, 3.0=4}'],
    ["str_to_map('a:1,b:2,c:3', ',', ':')", '{a=1, b=2, c=3}'],
    ["str_to_map('a')", '{a=NULL}'],
    ["str_to_map('a=1&b=', '&', '=')", "{a=1, b=''}"],
    ['str_to_map(null)', null],
    ["map_keys(map(1, 'a', 2, 'b'))", '[1, 2]'],
    ["map_values(map(1, 'a', 2, 'b'))", '[a, b]'],
    ["map_entries(map(1, 'a', 2, 'b'))", "[{'key': 1, 'value': a}, {'key': 2, 'value': b}]"],
    ["map_concat(map(1, 'a', 2, 'b'), map(3, 'c'))", '{1=a, 2=b, 3=c}'],
    ["map_concat(map(1, 'a'), null)", null],
    ["map_from_entries(array(struct(1, 'a'), struct(2, 'b')))", '{1=a, 2=b}'],
    ["map_from_entries(array(struct(1, 'a'), null))", null],
    ["map_contains_key(map(1, 'a', 2, 'b'), 1)", 'true'],
    ["map_contains_key(map(1, 'a', 2, 'b'), 3)", 'false'],
    ['named_struct("a", 1, "b", 2, "c", 3)', "{'a': 1, 'b': 2, 'c': 3}"],
    ["struct(1, 'a')", "{'col1': 1, 'col2': a}"],
  ]);
  // A duplicate or NULL key is an error, as under Spark's default map key policy.
  await assert.rejects(sparkValue("map('a', 1, 'a', 2)"));
  await assert.rejects(sparkValue('map_from_arrays(array(1, null), array(1, 2))'));
  await expectRefused("SELECT str_to_map('a1b', '[0-9]')", 'str_to_map');
  // struct() names fields after columns.
  const q = await session.sql.compileQuery('SELECT struct(k, v) AS s FROM t');
  const [r] = await runBound(`SELECT CAST(s AS VARCHAR) AS s FROM (${q.sql})`, ["SELECT 'a' AS k, 1 AS v"]);
  assert.equal(r!.s, "{'k': a, 'v': 1}");
});

/** Runs a query over one input relation and returns its rows as DuckDB text. */
async function generate(sql: string, input: string): Promise<string[]> {
  const q = await session.sql.compileQuery(sql);
  const out = await runBound(`SELECT * FROM (${q.sql})`, [input]);
  return out.map((r) =>
    Object.entries(r)
      .map(([k, v]) => `${k}=${v === null ? 'NULL' : String(v)}`)
      .join(' '),
  );
}

const ARRAYS = 'SELECT * FROM (VALUES (1, [10, 20]), (2, []), (3, NULL)) t(k, arr)';

test('generators in the select list repeat the other columns for every element', async () => {
  assert.deepEqual(await generate('SELECT k, explode(arr) AS v FROM t ORDER BY k, v', ARRAYS), [
    'k=1 v=10',
    'k=1 v=20',
  ]);
  assert.deepEqual(await generate('SELECT k, explode_outer(arr) FROM t ORDER BY k, col', ARRAYS), [
    'k=1 col=10',
    'k=1 col=20',
    'k=2 col=NULL',
    'k=3 col=NULL',
  ]);
  assert.deepEqual(await generate('SELECT k, posexplode(arr) FROM t ORDER BY k, pos', ARRAYS), [
    'k=1 pos=0 col=10',
    'k=1 pos=1 col=20',
  ]);
  assert.deepEqual(await generate('SELECT k, posexplode_outer(arr) FROM t ORDER BY k, pos', ARRAYS), [
    'k=1 pos=0 col=10',
    'k=1 pos=1 col=20',
    'k=2 pos=NULL col=NULL',
    'k=3 pos=NULL col=NULL',
  ]);
  assert.deepEqual(await generate("SELECT explode(map('a', 1, 'b', 2)) FROM t", 'SELECT 1'), [
    'key=a value=1',
    'key=b value=2',
  ]);
  assert.deepEqual(
    await generate("SELECT inline(array(struct(1, 'a'), struct(2, 'b'))) FROM t", 'SELECT 1'),
    ['col1=1 col2=a', 'col1=2 col2=b'],
  );
  assert.deepEqual(await generate('SELECT stack(2, 1, 2, 3) FROM t', 'SELECT 1'), [
    'col0=1 col1=2',
    'col0=3 col1=NULL',
  ]);
  assert.deepEqual(await generate('SELECT * FROM explode(array(10, 20)) AS g(x)', 'SELECT 1'), [
    'x=10',
    'x=20',
  ]);
  assert.deepEqual(await generate('SELECT explode(collection => array(10, 20))', 'SELECT 1'), [
    'col=10',
    'col=20',
  ]);
});

test('generators in LATERAL VIEW', async () => {
  assert.deepEqual(
    await generate('SELECT k, v FROM t LATERAL VIEW explode(arr) e AS v ORDER BY k, v', ARRAYS),
    ['k=1 v=10', 'k=1 v=20'],
  );
  assert.deepEqual(
    await generate('SELECT k, v FROM t LATERAL VIEW OUTER explode(arr) e AS v ORDER BY k, v', ARRAYS),
    ['k=1 v=10', 'k=1 v=20', 'k=2 v=NULL', 'k=3 v=NULL'],
  );
});

test('generators where Spark does not allow them are refused', async () => {
  await expectRefused('SELECT explode(arr), explode(arr) FROM t', 'explode');
  await expectRefused('SELECT explode(arr) + 1 FROM t', 'explode');
  await expectRefused('SELECT k FROM t WHERE explode(arr) > 1', 'explode');
  await expectRefused('SELECT posexplode(arr) AS p FROM t', 'posexplode');
  await expectRefused('SELECT stack(k, 1, 2) FROM t', 'stack');
});

test('timestamp sequences are refused (integral and date ones only)', async () => {
  await expectRefused(
    "SELECT sequence(to_timestamp('2018-01-01'), to_timestamp('2018-03-01'), interval 1 month)",
    'sequence',
  );
});
