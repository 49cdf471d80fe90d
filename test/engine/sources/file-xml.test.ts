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
  mixed: ['<rows><r>loose<a>1</a></r></rows>', 'mixed content'],
  nestedmixed: ['<rows><r><a>x<b>1</b></a></r></rows>', 'mixed content'],
  nestedtail: ['<rows><r><a><b>1</b>tail</a></r></rows>', 'mixed content'],
  nestedmismatch: ['<rows><r><a><b>1</a></b></r></rows>', 'mismatched tags'],
  nestedunclosed: ['<rows><r><a><b>1</b></r></rows>', 'mismatched tags'],
  nestedcomment: ['<rows><r><a><b>1<!-- x --></b></a></r></rows>', 'comment inside a value'],
  childattrns: ['<rows><r><a p:u="kg">1</a></r></rows>', 'namespace'],
  childattrrep: ['<rows><r><a u="1" u="2">1</a></r></rows>', 'repeated attribute'],
  childattrspaces: ['<rows><r><a u=" kg">1</a></r></rows>', 'value with surrounding whitespace'],
  nestedspaces: ['<rows><r><a>\n  <b> 1</b>\n</a></r></rows>', 'value with surrounding whitespace'],
  structandvalue: [
    '<rows><r><a><b>1</b></a></r><r><a>2</a></r></rows>',
    'element read as a struct and as a value',
  ],
  casefields: ['<rows><r><a><b>1</b><B>2</B></a></r></rows>', 'names differing only by case'],
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
  mismatchspace: ['<rows><r><a>1</a ></r><r><a >x</b ></r></rows>', 'mismatched tags'],
  attrspaces: ['<rows><r k="1 "><a>1</a></r></rows>', 'value with surrounding whitespace'],
  refspaces: ['<rows><r><a>1</a></r><r><a>&#x20;1</a></r></rows>', 'value with surrounding whitespace'],
  control: ['<rows><r><a>1\u0002</a></r></rows>', 'control character'],
  childns: ['<rows><r><a>1</a><p:b>2</p:b></r></rows>', 'namespace'],
  strayend: ['<rows><r><a>1</a></r></r></rows>', 'unclosed or nested row element'],
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

/** A seeded generator (mulberry32): the same rows on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Raw XML text of a value and the text an XML parser reads from it. */
const VALUES: readonly [string, string][] = [
  ['plain', 'plain'],
  ['x &gt; y &amp; z', 'x > y & z'],
  ['a > b', 'a > b'],
  ['&#65;&#x42;c', 'ABc'],
  ['&quot;q&quot; &apos;s&apos; &lt;t', `"q" 's' <t`],
  ['line1\r\nline2\rline3', 'line1\nline2\nline3'],
  ['  padded  ', '  padded  '],
  ['&#32;ref', ' ref'],
  ['', ''],
];
const OPEN = ['<N>', '<N >', '<N\n  >'];
const CLOSE = ['</N>', '</N >', '</N\t>'];
const SELF = ['<N/>', '<N />', '<N\n/>'];
const GAP = ['', '\n  ', ' <!-- between --> ', '\r\n\t'];

test('xml: rows match an independent reading of the same text (whitespace inside tags, self-closing children, references, line ends, comments between children, values with `>`)', async () => {
  const rnd = prng(13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const rows: string[] = [];
  const expected: unknown[][] = [];
  const lastA: unknown[][] = [];
  for (let i = 0; i < 300; i++) {
    const id = `k${String(i).padStart(3, '0')}`;
    const names = ['a', ...Array.from({ length: Math.floor(rnd() * 3) }, () => 'b')];
    if (rnd() < 0.5) names.push('c');
    if (rnd() < 0.3) names.push('a'); // repeated in some rows: an ARRAY, as b
    if (rnd() < 0.5) names.push('d');
    for (let k = names.length - 1; k > 0; k--) {
      const j = Math.floor(rnd() * (k + 1));
      [names[k], names[j]] = [names[j]!, names[k]!];
    }
    const read = new Map<string, string[]>();
    let xml = `<r id="${id}">${pick(GAP)}`;
    for (const name of names) {
      const [raw, text] = pick(VALUES);
      xml +=
        raw === '' && rnd() < 0.5
          ? pick(SELF).replace('N', name)
          : `${pick(OPEN).replace('N', name)}${raw}${pick(CLOSE).replace('N', name)}`;
      xml += pick(GAP);
      read.set(name, [...(read.get(name) ?? []), text]);
    }
    rows.push(`${xml}${pick(['</r>', '</r >'])}`);
    const last = (n: string) => read.get(n)?.at(-1) ?? null;
    expected.push([id, read.get('a'), read.get('b') ?? null, last('c'), last('d')]);
    lastA.push([id, last('a')]);
  }
  const dir = tmpDir('xml-reference');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: xmlref\n',
    'data/a.xml': `<?xml version="1.0"?>\n<rows>\n${rows.slice(0, 150).join('\n')}\n</rows>\n`,
    'data/b.xml': `<rows>${rows.slice(150).join('')}</rows>`,
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM read_files('data', format => 'xml', rowTag => 'r', ignoreSurroundingSpaces => 'false');
CREATE OR REFRESH STREAMING TABLE scalar AS SELECT _id, a FROM STREAM read_files('data', format => 'xml', rowTag => 'r', ignoreSurroundingSpaces => 'false', schemaHints => 'a STRING');\n`,
  });
  await run(dir);
  assert.deepEqual(await columnTypes(tableDir(dir, 't')), {
    _id: '"string"',
    a: '{"type":"array","elementType":"string","containsNull":true}',
    b: '{"type":"array","elementType":"string","containsNull":true}',
    c: '"string"',
    d: '"string"',
    _rescued_data: '"string"',
  });
  const got = await readTable(tableDir(dir, 't'), '_id');
  assert.deepEqual(
    got.map((r) => [r._id, r.a, r.b, r.c, r.d]),
    expected,
  );
  assert.ok(got.every((r) => r._rescued_data === null));
  // Typed as a STRING, a repeated element is its last occurrence.
  const scalar = await readTable(tableDir(dir, 'scalar'), '_id');
  assert.deepEqual(
    scalar.map((r) => [r._id, r.a]),
    lastA,
  );
});
