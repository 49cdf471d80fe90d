/**
 * Regenerates examples.json: the documented examples of Spark's built-in SQL functions, read from
 * the `examples = """ > SELECT …; result """` blocks of `@ExpressionDescription` in a Spark
 * source tree. Only the documented inputs and results are kept (facts about Spark), never code.
 *
 *   node --import tsx test/sql/spark-examples/extract-examples.ts <spark-source-dir>
 *
 * The directory needs sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/{expressions,
 * analysis/FunctionRegistry.scala} of the Spark version named in SPARK_VERSION below.
 *
 * One example per registered function name: Spark substitutes each name (aliases included, e.g.
 * `ucase` and `upper`) for `_FUNC_`, and sluice has one rule per name, so each alias is its own
 * conformance check. Examples whose result depends on the clock, on randomness or on the
 * environment of Spark's test suite are kept with `skip` and a reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EXAMPLES_FILE, type SparkExample, writeJson } from './run-examples.ts';

const SPARK_VERSION = '4.1.1';
const CATALYST = 'sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst';

/**
 * Classes whose examples Spark's own example check (ExpressionInfoSuite) ignores, with why.
 * Their printed results are illustrations (a clock, randomness, the test machine), not facts.
 */
const IGNORED_CLASSES: Record<string, string> = {
  UnixTimestamp: 'one example reads the current time',
  CurrentDate: 'reads the current date',
  CurDateExpressionBuilder: 'reads the current date',
  CurrentTimestamp: 'reads the current time',
  CurrentTimeZone: 'reads the session time zone of the machine',
  Now: 'reads the current time',
  LocalTimestamp: 'reads the current time',
  CurrentTime: 'reads the current time',
  Rand: 'random without a seed',
  Randn: 'random without a seed',
  Shuffle: 'random without a seed',
  Uuid: 'random without a seed',
  MonotonicallyIncreasingID: 'depends on partitioning',
  SparkPartitionID: 'depends on partitioning',
  InputFileName: 'depends on the input file',
  InputFileBlockStart: 'depends on the input file',
  InputFileBlockLength: 'depends on the input file',
  CallMethodViaReflection: 'calls JVM methods with unstable results',
  TryReflect: 'calls JVM methods with unstable results',
  SparkVersion: 'depends on the Spark build',
  RaiseErrorExpressionBuilder: 'raises an error by design',
  AssertTrue: 'raises an error by design',
  FromAvro: 'needs the Avro module',
  ToAvro: 'needs the Avro module',
  SchemaOfAvro: 'needs the Avro module',
  FromProtobuf: 'needs the Protobuf module',
  ToProtobuf: 'needs the Protobuf module',
  CurrentUser: 'depends on the user',
  AesEncrypt: 'random initialization vector',
};

/**
 * Examples whose printed result depends on the session time zone. Spark's test suite runs with
 * the JVM zone America/Los_Angeles (SparkFunSuite), sluice runs in UTC, so these would differ
 * for no fault of sluice. Keyed by example id (see `exampleId`).
 */
const TIME_ZONE_DEPENDENT: ReadonlySet<string> = new Set<string>([
  // An instant from epoch numbers, printed in the session zone.
  'timestamp_seconds#1',
  'timestamp_seconds#2',
  'timestamp_millis#1',
  'timestamp_micros#1',
  'from_unixtime#1',
  'from_unixtime#2',
  // A local date-time read in the session zone.
  'to_unix_timestamp#1',
  'convert_timezone#2',
  // An instant built in another zone ('CET'), printed in the session zone.
  'make_timestamp#2',
  'make_timestamp#5',
  'make_timestamp_ltz#2',
  'make_timestamp_ltz#6',
  'try_make_timestamp#2',
  'try_make_timestamp#5',
  'try_make_timestamp_ltz#2',
  'try_make_timestamp_ltz#7',
]);
const TZ_REASON = "result is printed in Spark's test time zone (America/Los_Angeles), sluice runs in UTC";

/** Spark's `group` → family; the `_funcs` suffix dropped. */
function familyOf(group: string | undefined, file: string): string {
  if (group) return group.replace(/_funcs$/, '');
  return `(${file.replace(/\.scala$/, '')})`;
}

interface Registration {
  readonly name: string;
  /** Scalar function, or a table-valued function (`SELECT * FROM f(…)`). */
  readonly kind: 'scalar' | 'table';
}

/** Internally registered functions that Spark's SQL parser exposes with a syntax of their own. */
const PARSER_SYNTAX: ReadonlySet<string> = new Set(['timestampadd', 'timestampdiff']);

/** Class or builder object name → the names it is registered under, in registry order. */
function readRegistry(text: string): Map<string, Registration[]> {
  const out = new Map<string, Registration[]>();
  const add = (cls: string, name: string, kind: Registration['kind']) => {
    const list = out.get(cls) ?? [];
    if (!list.some((r) => r.name === name && r.kind === kind)) list.push({ name, kind });
    out.set(cls, list);
  };
  const tableStart = text.indexOf('object TableFunctionRegistry');
  const scalarText = tableStart < 0 ? text : text.slice(0, tableStart);
  const tableText = tableStart < 0 ? '' : text.slice(tableStart);
  for (const m of scalarText.matchAll(/\bexpression\[(\w+)\]\(\s*"([^"]+)"/g)) add(m[1]!, m[2]!, 'scalar');
  for (const m of scalarText.matchAll(
    /\b(?:expressionBuilder|expressionGeneratorBuilderOuter)\(\s*"([^"]+)",\s*(\w+)/g,
  ))
    add(m[2]!, m[1]!, 'scalar');
  // Internal registrations that SQL reaches through the parser's own syntax (TIMESTAMPADD(unit, …)).
  for (const m of scalarText.matchAll(/\bregisterInternalExpression\[(\w+)\]\(\s*"([^"]+)"/g))
    if (PARSER_SYNTAX.has(m[2]!)) add(m[1]!, m[2]!, 'scalar');
  // Entries built by the class itself (`CaseWhen.registryEntry` registers "when").
  if (/\bCaseWhen\.registryEntry\b/.test(scalarText)) add('CaseWhen', 'when', 'scalar');
  for (const m of tableText.matchAll(/\bgeneratorBuilder\(\s*"([^"]+)",\s*(\w+)/g))
    add(m[2]!, m[1]!, 'table');
  for (const m of tableText.matchAll(/\bgenerator\[(\w+)\]\(\s*"([^"]+)"/g)) add(m[1]!, m[2]!, 'table');
  return out;
}

/** The text of a Scala triple-quoted string starting at `i` (at the opening quotes). */
function tripleQuoted(text: string, i: number): { value: string; end: number } {
  const close = text.indexOf('"""', i + 3);
  if (close < 0) throw new Error(`unterminated """ at ${i}`);
  return { value: text.slice(i + 3, close), end: close + 3 };
}

interface Description {
  readonly className: string;
  readonly group: string | undefined;
  readonly examples: string;
}

/** Every `@ExpressionDescription(...)` of a Scala file with the class or object it annotates. */
function descriptions(text: string): Description[] {
  const out: Description[] = [];
  let at = text.indexOf('@ExpressionDescription(');
  while (at >= 0) {
    // Scan to the annotation's closing parenthesis, skipping string literals.
    let i = at + '@ExpressionDescription('.length;
    let depth = 1;
    const fields: Record<string, string> = {};
    let lastKey: string | undefined;
    while (depth > 0 && i < text.length) {
      if (text.startsWith('"""', i)) {
        const s = tripleQuoted(text, i);
        if (lastKey) fields[lastKey] = (fields[lastKey] ?? '') + s.value;
        i = s.end;
        continue;
      }
      const ch = text[i]!;
      if (ch === '"') {
        const close = text.indexOf('"', i + 1);
        if (lastKey) fields[lastKey] = (fields[lastKey] ?? '') + text.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      const key = /^(\w+)\s*=/.exec(text.slice(i, i + 40));
      if (key && depth === 1 && !/\w/.test(text[i - 1] ?? '')) {
        lastKey = key[1]!;
        i += key[0].length;
        continue;
      }
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      i++;
    }
    const decl = /\b(?:case\s+class|class|object)\s+(\w+)/.exec(text.slice(i));
    if (!decl) throw new Error(`no declaration after @ExpressionDescription at ${at}`);
    out.push({ className: decl[1]!, group: fields.group, examples: fields.examples ?? '' });
    at = text.indexOf('@ExpressionDescription(', i);
  }
  return out;
}

interface RawExample {
  readonly sql: string;
  /** Result lines as Spark's check compares them: each line's leading blanks removed, trimmed. */
  readonly expected: string[];
}

/**
 * Splits an examples block into statements and results the way Spark's example check reads it:
 * a statement starts at a line beginning with `> ` and ends at the first line ending with `;`;
 * the result is every line after it up to the next statement.
 */
function splitExamples(block: string): RawExample[] {
  const out: RawExample[] = [];
  const lines = block.split('\n');
  let i = 0;
  while (i < lines.length) {
    const start = /^\s*> ?(.*)$/.exec(lines[i]!);
    if (!start) {
      i++;
      continue;
    }
    const sqlLines = [start[1]!];
    while (!sqlLines[sqlLines.length - 1]!.trimEnd().endsWith(';') && i + 1 < lines.length) {
      i++;
      sqlLines.push(lines[i]!.trim());
    }
    i++;
    const result: string[] = [];
    while (i < lines.length && !/^\s*> /.test(lines[i]!)) result.push(lines[i++]!);
    const sql = sqlLines.join('\n').trim().replace(/;$/, '').trim();
    // Spark's normalization: `s.replaceAll("\n\\s+", "\n").trim` on the whole result.
    const expected = result.join('\n').replace(/\n\s+/g, '\n').trim();
    out.push({ sql, expected: expected === '' ? [] : expected.split('\n') });
  }
  return out;
}

/** The session setting a `SET key=value` statement changes, if the statement is one. */
function setStatement(sql: string): { key: string; value: string } | undefined {
  const m = /^SET\s+([\w.]+)\s*=\s*(\S+)$/i.exec(sql);
  return m ? { key: m[1]!, value: m[2]! } : undefined;
}

/** Settings whose default value examples set back (so later examples need no skip). */
const SETTING_DEFAULTS: Record<string, string> = {
  'spark.sql.parser.escapedStringLiterals': 'false',
};

function scalaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...scalaFiles(p));
    else if (name.endsWith('.scala')) out.push(p);
  }
  return out;
}

/** A stable id: function name and the example's position among that name's examples. */
function exampleId(name: string, kind: Registration['kind'], n: number): string {
  return `${kind === 'table' ? 'table:' : ''}${name}#${n}`;
}

function main(): void {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: extract-examples.ts <spark-source-dir>');
    process.exit(2);
  }
  const registry = readRegistry(
    readFileSync(join(root, CATALYST, 'analysis/FunctionRegistry.scala'), 'utf8'),
  );
  const exprDir = join(root, CATALYST, 'expressions');
  const examples: SparkExample[] = [];
  const unregistered: string[] = [];
  for (const file of scalaFiles(exprDir)) {
    const rel = relative(exprDir, file);
    for (const d of descriptions(readFileSync(file, 'utf8'))) {
      const raw = splitExamples(d.examples);
      if (raw.length === 0) continue;
      const names = registry.get(d.className);
      if (!names) {
        unregistered.push(`${rel}: ${d.className}`);
        continue;
      }
      for (const reg of names) {
        let setting: string | undefined;
        raw.forEach((ex, index) => {
          const sql = ex.sql.replaceAll('_FUNC_', reg.name);
          const set = setStatement(sql);
          let skip: string | undefined;
          if (set) {
            skip = 'changes a session setting (the examples after it depend on it)';
            setting = SETTING_DEFAULTS[set.key] === set.value ? undefined : `${set.key}=${set.value}`;
          } else if (setting) skip = `needs the session setting ${setting}`;
          else if (IGNORED_CLASSES[d.className]) skip = IGNORED_CLASSES[d.className];
          const id = exampleId(reg.name, reg.kind, index + 1);
          if (!skip && TIME_ZONE_DEPENDENT.has(id)) skip = TZ_REASON;
          examples.push({
            id,
            function: reg.name,
            ...(reg.kind === 'table' ? { tableFunction: true } : {}),
            family: familyOf(d.group, rel),
            source: `${rel}#${d.className}`,
            sql,
            expected: ex.expected.map((l) => l.replaceAll('_FUNC_', reg.name)),
            ...(skip ? { skip } : {}),
          });
        });
      }
    }
  }
  writeJson(EXAMPLES_FILE, { spark: SPARK_VERSION, examples });
  console.log(`${examples.length} examples written to ${relative(process.cwd(), EXAMPLES_FILE)}`);
  if (unregistered.length) console.log(`not registered as functions (skipped): ${unregistered.join(', ')}`);
}

main();
