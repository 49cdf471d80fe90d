import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { query as chdb } from 'chdb';
import { runCli } from '../../helpers/cli.ts';
import { readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * XML rows with nested elements, read as Spark's XML source reads them (`XmlInferSchema`,
 * `StaxXmlParser`): an element with children or attributes is a STRUCT (attributes `_`-prefixed,
 * its text `_VALUE`), an element repeated within its parent an ARRAY, occurrences merged across
 * rows (an element once in one row and repeated in another is an ARRAY; a struct with `_VALUE`
 * and a plain value merge into the struct), fields sorted by name at every level, leaves typed as
 * flat columns are. Expected rows are written out from those rules and from the Databricks
 * documentation's example ("Read and write XML files": rowTag `books` gives
 * `book: array<struct<_id: string, author: string, title: string>>`).
 */

interface Flow {
  readonly flow: string;
  readonly state: string;
  readonly error?: { code: string; message: string };
  readonly metrics: { num_output_rows: number };
}

async function run(dir: string, ok = true): Promise<Record<string, Flow>> {
  const r = await runCli(['run', dir, '--format', 'json']);
  if (ok) assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return Object.fromEntries(JSON.parse(r.stdout).flows.map((f: Flow) => [f.flow, f]));
}

async function columnTypes(path: string): Promise<Record<string, unknown>> {
  const { loadSnapshot } = await import('../../../src/storage/delta/snapshot.ts');
  const snap = await loadSnapshot(path);
  return Object.fromEntries(snap.schema.fields.map((f) => [f.name, f.type]));
}

const struct = (fields: Record<string, unknown>) => ({
  type: 'struct',
  fields: Object.entries(fields).map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
});
const array = (elementType: unknown) => ({ type: 'array', elementType, containsNull: true });

const DOCS_BOOKS = `
  <books>
    <book id="bk103">
      <author>Corets, Eva</author>
      <title>Maeve Ascendant</title>
    </book>
    <book id="bk104">
      <author>Corets, Eva</author>
      <title>Oberon's Legacy</title>
    </book>
  </books>`;

const CATALOG = `<?xml version="1.0" encoding="UTF-8"?>
<catalog>
  <book id="bk1">
    <title>Alpha &amp; Omega</title>
    <price currency="USD">44.95</price>
    <published>
      <year>2000</year><month>10</month>
      <!-- the full date -->
      <date>2000-10-01</date>
    </published>
    <review stars="5"><by>Ann</by><ok>true</ok></review>
    <review stars="3"><by>Bo</by><ok>false</ok></review>
    <tags><tag>a</tag><tag>b</tag></tags>
  </book>
  <book id="bk2">
    <title>Beta</title>
    <price>5</price>
    <published><year>2001</year></published>
    <review stars="4"><by>Cy</by></review>
    <tags><tag>c</tag></tags>
    <extra/>
  </book>
  <book id="bk3"><title>Gamma</title><published/></book>
</catalog>
`;

test('xml nested: STRUCT and ARRAY columns inferred and read as Spark does (attributes, _VALUE, merged across rows, sorted fields, typed leaves), read back by chdb; a nested value that does not fit is rescued', async () => {
  const dir = tmpDir('xml-nested');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: xmlnested\n',
    'data/docs/books.xml': DOCS_BOOKS,
    'data/catalog/a.xml': CATALOG,
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE docs_books AS SELECT * FROM STREAM read_files('data/docs', format => 'xml', rowTag => 'books');
CREATE OR REFRESH STREAMING TABLE catalog AS SELECT * FROM STREAM read_files('data/catalog', format => 'xml', rowTag => 'book');
CREATE OR REFRESH MATERIALIZED VIEW reviews AS
  SELECT _id, r.by AS reviewer, r._stars AS stars, price._VALUE AS price, published.year AS year
  FROM (SELECT *, explode(review) AS r FROM catalog);
`,
  });
  const flows = await run(dir);
  assert.equal(flows.docs_books!.metrics.num_output_rows, 1);
  assert.equal(flows.catalog!.metrics.num_output_rows, 3);

  // The documentation's example: one row, `book` an array of structs.
  assert.deepEqual(await columnTypes(tableDir(dir, 'docs_books')), {
    book: array(struct({ _id: 'string', author: 'string', title: 'string' })),
    _rescued_data: 'string',
  });
  const docs = await readTable(tableDir(dir, 'docs_books'), '1');
  assert.deepEqual(docs[0]!.book, [
    { _id: 'bk103', author: 'Corets, Eva', title: 'Maeve Ascendant' },
    { _id: 'bk104', author: 'Corets, Eva', title: "Oberon's Legacy" },
  ]);

  assert.deepEqual(await columnTypes(tableDir(dir, 'catalog')), {
    _id: 'string',
    extra: 'string',
    price: struct({ _VALUE: 'double', _currency: 'string' }),
    published: struct({ date: 'date', month: 'long', year: 'long' }),
    review: array(struct({ _stars: 'long', by: 'string', ok: 'boolean' })),
    tags: struct({ tag: array('string') }),
    title: 'string',
    _rescued_data: 'string',
  });
  const rows = await readTable(tableDir(dir, 'catalog'), '_id');
  const plain = (v: unknown) =>
    JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x)));
  assert.deepEqual(
    plain(rows.map((r) => [r._id, r.extra, r.price, r.review, r.tags, r.title, r._rescued_data])),
    [
      [
        'bk1',
        null,
        { _VALUE: 44.95, _currency: 'USD' },
        [
          { _stars: '5', by: 'Ann', ok: true },
          { _stars: '3', by: 'Bo', ok: false },
        ],
        { tag: ['a', 'b'] },
        'Alpha & Omega',
        null,
      ],
      [
        'bk2',
        '',
        { _VALUE: 5, _currency: null },
        [{ _stars: '4', by: 'Cy', ok: null }],
        { tag: ['c'] },
        'Beta',
        null,
      ],
      // An absent element is NULL; an empty one read as a struct is a struct of NULLs.
      ['bk3', null, null, null, null, 'Gamma', null],
    ],
  );
  assert.deepEqual(
    rows.map((r) => {
      const p = r.published as { date: unknown; month: unknown; year: unknown };
      return [
        p.date === null ? null : String(p.date),
        p.month === null ? null : String(p.month),
        String(p.year),
      ];
    }),
    [
      ['2000-10-01', '10', '2000'],
      [null, null, '2001'],
      [null, null, 'null'],
    ],
  );

  // The independent reader sees the same nested values.
  const viaChdb = chdb(
    `SELECT _id, tupleElement(price, '_VALUE') AS v, tupleElement(price, '_currency') AS cur, ` +
      `arrayMap(x -> tupleElement(x, 'by'), review) AS bys, arrayMap(x -> tupleElement(x, '_stars'), review) AS stars, ` +
      `tupleElement(tags, 'tag') AS tag, toString(tupleElement(published, 'date')) AS d ` +
      `FROM deltaLakeLocal('${tableDir(dir, 'catalog')}') ORDER BY _id SETTINGS output_format_json_quote_64bit_integers = 0`,
    'JSONEachRow',
  )
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(viaChdb, [
    { _id: 'bk1', v: 44.95, cur: 'USD', bys: ['Ann', 'Bo'], stars: [5, 3], tag: ['a', 'b'], d: '2000-10-01' },
    { _id: 'bk2', v: 5, cur: null, bys: ['Cy'], stars: [4], tag: ['c'], d: null },
    { _id: 'bk3', v: null, cur: null, bys: [], stars: [], tag: [], d: null },
  ]);

  // Struct fields and arrays of structs in SQL downstream.
  const reviews = await readTable(tableDir(dir, 'reviews'), 'reviewer');
  assert.deepEqual(
    reviews.map((r) => [r._id, r.reviewer, String(r.stars), r.price, String(r.year)]),
    [
      ['bk1', 'Ann', '5', 44.95, '2000'],
      ['bk1', 'Bo', '3', 44.95, '2000'],
      ['bk2', 'Cy', '4', 5, '2001'],
    ],
  );

  // A new file: a nested value that is no double is NULL as a whole and kept in _rescued_data.
  writeFileSync(
    join(dir, 'data/catalog/b.xml'),
    '<catalog><book id="bk4"><title>Delta</title><price currency="EUR">n/a</price><tags><tag>d</tag></tags></book></catalog>\n',
  );
  const second = await run(dir);
  assert.equal(second.catalog!.metrics.num_output_rows, 1);
  const added = (await readTable(tableDir(dir, 'catalog'), '_id')).find((r) => r._id === 'bk4')!;
  assert.equal(added.price, null);
  assert.deepEqual(added.tags, { tag: ['d'] });
  assert.deepEqual(JSON.parse(String(added._rescued_data)), { price: { _VALUE: 'n/a', _currency: 'EUR' } });
});

test('xml nested: an element once in one row and repeated in another is an ARRAY in every row; deeper levels and excludeAttribute', async () => {
  const dir = tmpDir('xml-nested-merge');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: xmlmerge\n',
    'data/a.xml': `<orders>
<order no="1"><line sku="x1"><qty>2</qty><note><by>ann</by></note></line></order>
<order no="2"><line sku="x2"><qty>1</qty></line><line sku="x3"><qty>1.5</qty><note><by>bo</by><at>2024-01-05 10:00:00</at></note></line></order>
</orders>
`,
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE orders AS SELECT * FROM STREAM read_files('data', format => 'xml', rowTag => 'order');
CREATE OR REFRESH STREAMING TABLE bare AS SELECT * FROM STREAM read_files('data', format => 'xml', rowTag => 'order', excludeAttribute => 'true');
`,
  });
  await run(dir);
  assert.deepEqual(await columnTypes(tableDir(dir, 'orders')), {
    _no: 'long',
    line: array(struct({ _sku: 'string', note: struct({ at: 'timestamp', by: 'string' }), qty: 'double' })),
    _rescued_data: 'string',
  });
  const rows = await readTable(tableDir(dir, 'orders'), '_no');
  assert.deepEqual(
    rows.map((r) =>
      (r.line as { _sku: string; qty: number; note: { by: string } | null }[]).map((l) => [
        l._sku,
        l.qty,
        l.note?.by ?? null,
      ]),
    ),
    [
      [['x1', 2, 'ann']],
      [
        ['x2', 1, null],
        ['x3', 1.5, 'bo'],
      ],
    ],
  );
  // Without attributes, `line` is still a struct (it has children); `note` too.
  assert.deepEqual(await columnTypes(tableDir(dir, 'bare')), {
    line: array(struct({ note: struct({ at: 'timestamp', by: 'string' }), qty: 'double' })),
    _rescued_data: 'string',
  });
});

const BAD: Record<string, [string, string, string?]> = {
  // A declared scalar where the file has children: Spark reads raw XML (STRING) or fails the record.
  childrenasvalue: [
    '<rows><r><a><b>1</b></a></r></rows>',
    'element with children read as a value',
    "schema => 'a STRING'",
  ],
  // Auto Loader without type inference: its rendering of a struct is not known here.
  nottyped: ['<rows><r><a><b>1</b></a></r></rows>', 'without type inference', 'cloud'],
  valuetag: ['<rows><r><a x="1"><_VALUE>2</_VALUE></a></r></rows>', 'element named as valueTag'],
  attrchild: ['<rows><r><a x="1"><_x>2</_x></a></r></rows>', 'names differing only by case'],
};

test('xml nested: what sluice cannot read as Spark does is UNSUPPORTED_XML naming the construct and the file', async () => {
  const dir = tmpDir('xml-nested-refused');
  const files: Record<string, string> = { 'spark-pipeline.yml': 'name: xmlnestedbad\n' };
  let sql = '';
  for (const [name, [xml, , extra]] of Object.entries(BAD)) {
    files[`data/${name}/f.xml`] = xml;
    sql +=
      extra === 'cloud'
        ? `CREATE OR REFRESH STREAMING TABLE ${name} AS SELECT * FROM cloud_files('data/${name}', 'xml', map('rowTag', 'r'));\n`
        : `CREATE OR REFRESH STREAMING TABLE ${name} AS SELECT * FROM STREAM read_files('data/${name}', format => 'xml', rowTag => 'r'${extra ? `, ${extra}` : ''});\n`;
  }
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
});

test('xml nested: a later file with a child a struct of the schema lacks is refused (its rescued form is not known), nothing of it written', async () => {
  const dir = tmpDir('xml-nested-evolve');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: xmlevolve\n',
    'data/a.xml': '<rows><r id="1"><info><a>1</a></info></r></rows>\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM read_files('data', format => 'xml', rowTag => 'r');\n`,
  });
  await run(dir);
  writeFileSync(join(dir, 'data/b.xml'), '<rows><r id="2"><info><a>2</a><b>x</b></info></r></rows>\n');
  const second = await run(dir, false);
  assert.equal(second.t!.state, 'FAILED');
  assert.equal(second.t!.error?.code, 'UNSUPPORTED_XML');
  assert.ok(second.t!.error!.message.includes('element not in the schema'), second.t!.error!.message);
  assert.ok(second.t!.error!.message.includes('data/b.xml'), second.t!.error!.message);
  const rows = await readTable(tableDir(dir, 't'), '_id');
  assert.deepEqual(
    rows.map((r) => [String(r._id), r.info]),
    [['1', { a: '1' }]],
  );
});
