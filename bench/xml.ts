// XML source benchmark (`npm run bench -- xml [rows] [--files N] [--nested]`): a cold `sluice run` of a
// streaming table over XML files (`read_files(…, format => 'xml', rowTag => 'book')`: the subset
// checks, schema inference and the read) against the same run over the same rows as JSON lines.
// `--nested`: each row also has a STRUCT child with an attribute and text (`price`) and an
// ARRAY of STRUCTs inside a STRUCT (`reviews.review`), read by the nested reader.
// Both run as child processes; CPU time (user + system) and wall time are printed with the ratio
// XML / JSON measured in this run. Data lives under bench/.data/xml/ (regenerated each run).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, measureChild, ROOT, SLUICE_BIN, secs } from './engine.ts';

const GENRES = ['Fantasy', 'Romance', 'Horror'];

/** Row `i` as an XML element and as the JSON object Spark's XML reader makes of it. */
function book(i: number, nested: boolean): { xml: string; json: Record<string, unknown> } {
  const flat = flatBook(i);
  if (!nested) return flat;
  const reviews = [0, 1].map((k) => ({ _stars: 1 + ((i + k) % 5), by: `Reader ${(i * 7 + k) % 1000}` }));
  const json = {
    ...flat.json,
    price: { _VALUE: (i % 50) + 0.5, _currency: i % 2 === 0 ? 'USD' : 'EUR' },
    reviews: { review: reviews },
  };
  const extra =
    `    <price currency="${json.price._currency}">${json.price._VALUE}</price>\n    <reviews>` +
    reviews.map((r) => `<review stars="${r._stars}"><by>${r.by}</by></review>`).join('') +
    `</reviews>\n  </book>\n`;
  return { xml: flat.xml.replace(/ {2}<\/book>\n$/, extra), json };
}

function flatBook(i: number): { xml: string; json: Record<string, unknown> } {
  const date = `2000-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
  const json = {
    _id: `bk${i}`,
    _price: (i % 100) + 0.95,
    author: `Author & ${i % 977}`,
    available: i % 2 === 0,
    description: `An in-depth look at item ${i}, with several words of description text.`,
    genre: GENRES[i % 3],
    pages: 100 + (i % 900),
    publish_date: date,
    tag: [`t${i % 5}`, `u${i % 7}`],
    title: `Title number ${i}`,
  };
  const xml =
    `  <book id="${json._id}" price="${json._price}">\n` +
    `    <author>Author &amp; ${i % 977}</author>\n    <title>${json.title}</title>\n` +
    `    <genre>${json.genre}</genre>\n    <pages>${json.pages}</pages>\n` +
    `    <publish_date>${date}</publish_date>\n    <tag>${json.tag[0]}</tag><tag>${json.tag[1]}</tag>\n` +
    `    <available>${json.available}</available>\n    <description>${json.description}</description>\n  </book>\n`;
  return { xml, json };
}

function option(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function pipeline(dir: string, sql: string): void {
  mkdirSync(join(dir, 'transformations'), { recursive: true });
  writeFileSync(join(dir, 'spark-pipeline.yml'), `name: ${dir.split('/').at(-1)}\n`);
  writeFileSync(join(dir, 'transformations', 'books.sql'), sql);
}

export async function run(args: string[]): Promise<void> {
  const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
  const files = option(args, '--files', 10);
  const nested = args.includes('--nested');
  const root = join(DATA, 'xml');
  rmSync(root, { recursive: true, force: true });
  const xmlDir = join(root, 'xml');
  const jsonDir = join(root, 'json');
  mkdirSync(join(xmlDir, 'data'), { recursive: true });
  mkdirSync(join(jsonDir, 'data'), { recursive: true });
  const per = Math.ceil(rows / files);
  for (let f = 0; f < files; f++) {
    const xml: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<catalog>\n'];
    const json: string[] = [];
    for (let i = f * per; i < Math.min(rows, (f + 1) * per); i++) {
      const b = book(i, nested);
      xml.push(b.xml);
      json.push(`${JSON.stringify(b.json)}\n`);
    }
    xml.push('</catalog>\n');
    writeFileSync(join(xmlDir, 'data', `part-${f}.xml`), xml.join(''));
    writeFileSync(join(jsonDir, 'data', `part-${f}.json`), json.join(''));
  }
  pipeline(
    xmlDir,
    `CREATE OR REFRESH STREAMING TABLE books AS SELECT * FROM STREAM read_files('data', format => 'xml', rowTag => 'book');\n`,
  );
  pipeline(
    jsonDir,
    `CREATE OR REFRESH STREAMING TABLE books AS SELECT * FROM STREAM read_files('data', format => 'json');\n`,
  );
  const json = await measureChild(process.execPath, [SLUICE_BIN, 'run', jsonDir], ROOT);
  if (json.code !== 0) throw new Error(`sluice failed on JSON: ${json.stderr}`);
  const xml = await measureChild(process.execPath, [SLUICE_BIN, 'run', xmlDir], ROOT);
  if (xml.code !== 0) throw new Error(`sluice failed on XML: ${xml.stderr}`);
  const cpu = (ms: number) => (Number.isNaN(ms) ? 'n/a' : secs(ms));
  console.log(
    `XML source${nested ? ' (nested rows)' : ''}: ${rows.toLocaleString('en-US')} rows in ${files} files, cold run (check, infer, read, write)`,
  );
  console.log(`  JSON lines  wall ${secs(json.wallMs).padStart(8)}  CPU ${cpu(json.cpuMs).padStart(8)}`);
  console.log(`  XML         wall ${secs(xml.wallMs).padStart(8)}  CPU ${cpu(xml.cpuMs).padStart(8)}`);
  console.log(
    `  ratio XML / JSON: wall ${(xml.wallMs / json.wallMs).toFixed(2)}×, CPU ${(xml.cpuMs / json.cpuMs).toFixed(2)}×`,
  );
}
