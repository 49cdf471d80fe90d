import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * XML sources (Spark's XML data source: `read_files(…, format => 'xml', rowTag => …)`,
 * `cloud_files(path, 'xml', map('rowTag', …))`) through real pipelines. Expected rows follow the
 * rules of Spark's XML reader: attributes are `_`-prefixed columns, columns sorted by name (Java
 * string order: `_x` before `a`), each value tried as long, double, date, timestamp, boolean,
 * else string; repeated children are arrays; an empty element is '' in a string column and NULL
 * in others; Auto Loader (cloud_files) infers every column as a string.
 */

interface Flow {
  readonly flow: string;
  readonly state: string;
  readonly error?: { code: string; message: string };
  readonly metrics: { num_output_rows: number };
}

const flowsOf = (stdout: string): Record<string, Flow> =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: Flow) => [f.flow, f]));

async function run(dir: string, ok = true): Promise<Record<string, Flow>> {
  const r = await runCli(['run', dir, '--format', 'json']);
  if (ok) assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return flowsOf(r.stdout);
}

async function columnTypes(path: string): Promise<Record<string, string>> {
  const { loadSnapshot } = await import('../../../src/storage/delta/snapshot.ts');
  const snap = await loadSnapshot(path);
  return Object.fromEntries(snap.schema.fields.map((f) => [f.name, JSON.stringify(f.type)]));
}

const BOOKS = `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated; <book id="bk000"><author>commented out</author></book> -->
<catalog>
  <book id="bk101" price="44.95">
    <!-- the author -->
    <author>Gambardella, Matthew</author>
    <title>XML &amp; You &lt;3 &#233;&#x41;</title>
    <tag>a</tag><tag>b</tag>
    <published>2000-10-01</published>
    <updated>2000-10-01</updated>
    <ok>true</ok>
    <empty/>
  </book>
  <book id='bk102' price="5">
    <author>Ralls, Kim</author>
    <title>Midnight&#10;Rain</title>
    <tag>c</tag>
    <published>2000-12-16</published>
    <updated>2000-12-16 10:30:00</updated>
    <ok>FALSE</ok>
    <empty></empty>
    <count>7</count>
  </book>
  <book id="bk103"></book>
</catalog>
`;

const SQL = `
CREATE OR REFRESH STREAMING TABLE books AS SELECT * FROM STREAM read_files('data/books', format => 'xml', rowTag => 'book');
CREATE OR REFRESH STREAMING TABLE books_cf AS
  SELECT *, _metadata.file_name AS file FROM cloud_files('data/flat', 'xml', map('rowTag', 'book'));
`;

const FLAT = `<books>
<book id="1"><name>Sugar Co</name><lat>0.2</lat><when>2024-01-05</when></book>
<book id="2"><name>Flour &quot;Co&quot;</name><lat>-1</lat><when></when></book>
</books>
`;

test("xml: Spark's inferred schema (attributes, sorted names, types, arrays), decoded values; a streaming update reads only the new file, adds its column and rescues a value that no longer fits", async () => {
  const dir = tmpDir('xml-infer');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: xml\n',
    'data/books/a.xml': BOOKS,
    'data/flat/a.xml': FLAT,
    'transformations/p.sql': SQL,
  });
  const flows = await run(dir);
  assert.equal(flows.books!.metrics.num_output_rows, 3);

  const types = await columnTypes(tableDir(dir, 'books'));
  assert.deepEqual(types, {
    _id: '"string"',
    _price: '"double"',
    author: '"string"',
    count: '"long"',
    empty: '"string"',
    ok: '"boolean"',
    published: '"date"',
    tag: '{"type":"array","elementType":"string","containsNull":true}',
    title: '"string"',
    updated: '"timestamp"',
    _rescued_data: '"string"',
  });
  const books = await readTable(tableDir(dir, 'books'), '_id');
  assert.deepEqual(Object.keys(books[0]!), Object.keys(types));
  assert.deepEqual(
    books.map((r) => [
      r._id,
      r._price,
      r.author,
      r.count,
      r.empty,
      r.ok,
      String(r.published),
      r.tag,
      r.title,
    ]),
    [
      ['bk101', 44.95, 'Gambardella, Matthew', null, '', true, '2000-10-01', ['a', 'b'], 'XML & You <3 éA'],
      ['bk102', 5, 'Ralls, Kim', '7', '', false, '2000-12-16', ['c'], 'Midnight\nRain'],
      ['bk103', null, null, null, null, null, 'null', null, null],
    ],
  );
  assert.deepEqual(
    books.map((r) => r._rescued_data),
    [null, null, null],
  );

  // Auto Loader: every column a STRING (an empty element ''), _metadata of the row's file.
  const cf = await readTable(tableDir(dir, 'books_cf'), '_id');
  assert.deepEqual(Object.keys(cf[0]!), ['_id', 'lat', 'name', 'when', '_rescued_data', 'file']);
  assert.deepEqual(
    cf.map((r) => [r._id, r.lat, r.name, r.when, r.file]),
    [
      ['1', '0.2', 'Sugar Co', '2024-01-05', 'a.xml'],
      ['2', '-1', 'Flour "Co"', '', 'a.xml'],
    ],
  );

  // A second update: only the new file is read; its new element becomes a column (addNewColumns),
  // a price that is no double is NULL and kept in _rescued_data.
  writeFileSync(
    join(dir, 'data/books/b.xml'),
    '<catalog><book id="bk104" price="n/a"><author>Corets, Eva</author><isbn>978</isbn></book></catalog>\n',
  );
  writeFileSync(join(dir, 'data/flat/b.xml'), '<books><book id="3"><name>Egg</name></book></books>\n');
  const second = await run(dir);
  assert.equal(second.books!.metrics.num_output_rows, 1);
  assert.equal(second.books_cf!.metrics.num_output_rows, 1);
  const after = await readTable(tableDir(dir, 'books'), '_id');
  assert.equal(after.length, 4);
  const added = after.find((r) => r._id === 'bk104')!;
  assert.equal(added._price, null);
  assert.equal(added.author, 'Corets, Eva');
  assert.equal(added.isbn, '978'); // BIGINT as text
  assert.deepEqual(JSON.parse(String(added._rescued_data)), { _price: 'n/a' });
  assert.equal((await columnTypes(tableDir(dir, 'books'))).isbn, '"long"');
  const cfAfter = await readTable(tableDir(dir, 'books_cf'), '_id');
  assert.deepEqual(
    cfAfter.map((r) => [r._id, r.name, r.file]),
    [
      ['1', 'Sugar Co', 'a.xml'],
      ['2', 'Flour "Co"', 'a.xml'],
      ['3', 'Egg', 'b.xml'],
    ],
  );

  // A third update has nothing new.
  const third = await run(dir);
  assert.equal(third.books!.metrics.num_output_rows ?? 0, 0);
});

test('xml options: ignoreSurroundingSpaces, nullValue, excludeAttribute, attributePrefix, schemaHints and a declared schema', async () => {
  const dir = tmpDir('xml-options');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: xmlopts\n',
    'data/a.xml': `<rows>
  <r k=" 1 "><n> 42 </n><s>  padded  </s><m>NA</m><b>1</b></r>
  <r k="2"><n>3</n><s>x</s><m>5</m><b>0</b></r>
</rows>
`,
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE trimmed AS SELECT * FROM STREAM read_files('data', format => 'xml',
  rowTag => 'r', ignoreSurroundingSpaces => 'true', nullValue => 'NA', attributePrefix => 'at_');
CREATE OR REFRESH STREAMING TABLE kept AS SELECT s FROM STREAM read_files('data', format => 'xml',
  rowTag => 'r', ignoreSurroundingSpaces => 'false', excludeAttribute => 'true', schemaHints => 'n STRING');
CREATE OR REFRESH STREAMING TABLE declared AS SELECT * FROM STREAM read_files('data', format => 'xml',
  rowTag => 'r', ignoreSurroundingSpaces => 'true', schema => 'n INT, b BOOLEAN, m DOUBLE');
`,
  });
  await run(dir);
  const trimmed = await readTable(tableDir(dir, 'trimmed'), 'at_k');
  assert.deepEqual(Object.keys(trimmed[0]!), ['at_k', 'b', 'm', 'n', 's', '_rescued_data']);
  // (BIGINT values read back as text.) 'NA' is NULL and carries no type: m is a BIGINT from 5 alone; b is a BIGINT (1 and 0 are no booleans when inferring).
  assert.deepEqual(
    trimmed.map((r) => [r.at_k, r.b, r.m, r.n, r.s]),
    [
      ['1', '1', null, '42', 'padded'],
      ['2', '0', '5', '3', 'x'],
    ],
  );
  const kept = await readTable(tableDir(dir, 'kept'), 's');
  assert.deepEqual(
    kept.map((r) => r.s),
    ['  padded  ', 'x'],
  );
  assert.deepEqual(Object.keys((await columnTypes(tableDir(dir, 'kept'))) ?? {}), ['s']);
  // A declared schema: BOOLEAN reads 1 / 0 as Spark's XML parser does; 'NA' is no double (no nullValue here): rescue is off with a schema.
  const declared = await readTable(tableDir(dir, 'declared'), 'n');
  assert.deepEqual(
    declared.map((r) => [r.n, r.b, r.m]),
    [
      [3, false, 5],
      [42, true, null],
    ],
  );
});

const BAD: Record<string, [string, string]> = {
  comment: ['<rows><!-- x --><r><a>1<!-- x --></a></r></rows>', 'comment inside a value'],
  opencomment: ['<rows><r><a>1</a></r><!-- x </rows>', 'comment that is not closed'],
  cdata: ['<rows><r><a><![CDATA[1 < 2]]></a></r></rows>', 'CDATA section'],
  nested: ['<rows><r><a><b>1</b></a></r></rows>', 'text or a nested element'],
  mixed: ['<rows><r>loose<a>1</a></r></rows>', 'text or a nested element'],
  childattr: ['<rows><r><a unit="kg">1</a></r></rows>', 'attributes on a child element'],
  spaces: ['<rows><r><a> 1</a></r></rows>', 'value with surrounding whitespace'],
  unclosed: ['<rows><r><a>1</a></r><r><a>2</a></rows>', 'unclosed or nested row element'],
  doctype: ['<!DOCTYPE rows [<!ENTITY e "x">]><rows><r><a>&e;</a></r></rows>', 'DOCTYPE declaration'],
  entity: ['<rows><r><a>&nbsp;</a></r></rows>', 'entity reference'],
  namespace: ['<rows><r xmlns:p="u"><p:a>1</p:a></r></rows>', 'namespace'],
  repeatedattr: ['<rows><r a="1" a="2"><b>1</b></r></rows>', 'repeated attribute'],
  mismatch: ['<rows><r><a>1</b></r></rows>', 'mismatched tags'],
  ambiguous: ['<rows><r><a>2024-1-5</a></r></rows>', 'value of unknown inferred type'],
  selfclosing: ['<rows><r><a>1</a></r><r a="1"/></rows>', 'self-closing row element'],
  encoding: ['<?xml version="1.0" encoding="ISO-8859-1"?><rows><r><a>1</a></r></rows>', 'encoding'],
};

test('xml: constructs outside the subset are UNSUPPORTED_XML naming the file and the construct, and no row is written', async () => {
  const dir = tmpDir('xml-refused');
  const files: Record<string, string> = { 'spark-pipeline.yml': 'name: xmlbad\n' };
  let sql = '';
  for (const [name, [xml]] of Object.entries(BAD)) {
    files[`data/${name}/f.xml`] = xml;
    sql += `CREATE OR REFRESH STREAMING TABLE ${name} AS SELECT * FROM STREAM read_files('data/${name}', format => 'xml', rowTag => 'r');\n`;
  }
  // A value of unknown inferred type reads when schemaHints types its column, or as Auto Loader's strings.
  sql += `CREATE OR REFRESH STREAMING TABLE hinted AS SELECT * FROM STREAM read_files('data/ambiguous', format => 'xml', rowTag => 'r', schemaHints => 'a STRING');\n`;
  sql += `CREATE OR REFRESH STREAMING TABLE strings AS SELECT * FROM cloud_files('data/ambiguous', 'xml', map('rowTag', 'r'));\n`;
  files['transformations/p.sql'] = sql;
  writeFiles(dir, files);
  const flows = await run(dir, false);
  for (const [name, [, construct]] of Object.entries(BAD)) {
    const f = flows[name]!;
    assert.equal(f.state, 'FAILED', name);
    assert.equal(f.error?.code, 'UNSUPPORTED_XML', `${name}: ${JSON.stringify(f.error)}`);
    assert.ok(f.error!.message.includes(construct), `${name}: ${f.error!.message}`);
    assert.ok(f.error!.message.includes(`data/${name}/f.xml`), `${name}: ${f.error!.message}`);
    assert.equal(f.metrics.num_output_rows ?? 0, 0, name);
  }
  for (const name of ['hinted', 'strings']) {
    assert.equal(flows[name]!.state, 'COMPLETED', name);
    assert.deepEqual(
      (await readTable(tableDir(dir, name), 'a')).map((r) => r.a),
      ['2024-1-5'],
    );
  }
});

test('xml options are checked at validate: rowTag is required, options outside the subset are UNSUPPORTED_XML at their line', async () => {
  const dir = tmpDir('xml-validate');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: xmlv\n',
    'data/a.xml': '<rows><r><a>1</a></r></rows>',
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE no_tag AS SELECT * FROM STREAM read_files('data', format => 'xml');
CREATE OR REFRESH STREAMING TABLE ns AS SELECT * FROM cloud_files('data', 'xml', map('rowTag', 'r', 'ignoreNamespace', 'true'));
CREATE MATERIALIZED VIEW path_table AS SELECT * FROM xml.\`data\`;
`,
  });
  const v = await runCli(['validate', dir, '--format', 'json']);
  assert.equal(v.code, 1);
  const errors = JSON.parse(v.stdout).errors as {
    code: string;
    dataset?: string;
    location?: { line: number };
  }[];
  const of = (d: string) => errors.find((e) => e.dataset === d);
  assert.equal(of('no_tag')?.code, 'INVALID_FILE_SOURCE_OPTION', JSON.stringify(errors));
  assert.equal(of('ns')?.code, 'UNSUPPORTED_XML', JSON.stringify(errors));
  assert.equal(of('ns')?.location?.line, 3);
  assert.equal(of('path_table')?.code, 'UNSUPPORTED_FILE_FORMAT');
});
