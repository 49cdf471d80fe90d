// `--format sarif` is a SARIF 2.1.0 log GitHub code scanning accepts. The checks below are the
// OASIS schema's (sarif-schema-2.1.0.json) for every object the report writes: required
// properties, value types and enumerations, and no property the schema does not define (its
// objects allow no others), plus GitHub's needs (a rule id per result, a region with a line).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LINT_RULES, lintPipelines, lintResultToSarif, Session } from '../../src/index.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const session = new Session();
after(() => session.close());

type Json = Record<string, unknown>;

/** Each object kind the report writes: the properties the schema allows and those it requires. */
const SCHEMA: Record<string, { allowed: string[]; required: string[] }> = {
  sarifLog: {
    allowed: ['$schema', 'version', 'runs', 'inlineExternalProperties', 'properties'],
    required: ['version', 'runs'],
  },
  run: {
    allowed: [
      'tool',
      'invocations',
      'conversion',
      'language',
      'versionControlProvenance',
      'originalUriBaseIds',
      'artifacts',
      'logicalLocations',
      'graphs',
      'results',
      'automationDetails',
      'runAggregates',
      'baselineGuid',
      'redactionTokens',
      'defaultEncoding',
      'defaultSourceLanguage',
      'newlineSequences',
      'columnKind',
      'externalPropertyFileReferences',
      'threadFlowLocations',
      'taxonomies',
      'addresses',
      'translations',
      'policies',
      'webRequests',
      'webResponses',
      'specialLocations',
      'properties',
    ],
    required: ['tool'],
  },
  tool: { allowed: ['driver', 'extensions', 'properties'], required: ['driver'] },
  toolComponent: {
    allowed: [
      'guid',
      'name',
      'organization',
      'product',
      'productSuite',
      'shortDescription',
      'fullDescription',
      'fullName',
      'version',
      'semanticVersion',
      'dottedQuadFileVersion',
      'releaseDateUtc',
      'downloadUri',
      'informationUri',
      'globalMessageStrings',
      'notifications',
      'rules',
      'taxa',
      'locations',
      'language',
      'contents',
      'isComprehensive',
      'localizedDataSemanticVersion',
      'minimumRequiredLocalizedDataSemanticVersion',
      'associatedComponent',
      'translationMetadata',
      'supportedTaxonomies',
      'properties',
    ],
    required: ['name'],
  },
  reportingDescriptor: {
    allowed: [
      'id',
      'deprecatedIds',
      'guid',
      'deprecatedGuids',
      'name',
      'deprecatedNames',
      'shortDescription',
      'fullDescription',
      'messageStrings',
      'defaultConfiguration',
      'helpUri',
      'help',
      'relationships',
      'properties',
    ],
    required: ['id'],
  },
  multiformatMessageString: { allowed: ['text', 'markdown', 'properties'], required: ['text'] },
  reportingConfiguration: { allowed: ['enabled', 'level', 'rank', 'parameters', 'properties'], required: [] },
  propertyBag: { allowed: ['tags'], required: [] },
  artifactLocationBase: { allowed: ['uri', 'uriBaseId', 'index', 'description', 'properties'], required: [] },
  invocation: {
    allowed: [
      'commandLine',
      'arguments',
      'responseFiles',
      'startTimeUtc',
      'endTimeUtc',
      'exitCode',
      'ruleConfigurationOverrides',
      'notificationConfigurationOverrides',
      'toolExecutionNotifications',
      'toolConfigurationNotifications',
      'exitCodeDescription',
      'exitSignalName',
      'exitSignalNumber',
      'processStartFailureMessage',
      'executionSuccessful',
      'machine',
      'account',
      'processId',
      'executableLocation',
      'workingDirectory',
      'environmentVariables',
      'stdin',
      'stdout',
      'stderr',
      'stdoutStderr',
      'properties',
    ],
    required: ['executionSuccessful'],
  },
  notification: {
    allowed: [
      'locations',
      'message',
      'level',
      'threadId',
      'timeUtc',
      'exception',
      'descriptor',
      'associatedRule',
      'properties',
    ],
    required: ['message'],
  },
  message: { allowed: ['text', 'markdown', 'id', 'arguments', 'properties'], required: [] },
  result: {
    allowed: [
      'ruleId',
      'ruleIndex',
      'rule',
      'kind',
      'level',
      'message',
      'analysisTarget',
      'locations',
      'guid',
      'correlationGuid',
      'occurrenceCount',
      'partialFingerprints',
      'fingerprints',
      'stacks',
      'codeFlows',
      'graphs',
      'graphTraversals',
      'relatedLocations',
      'suppressions',
      'baselineState',
      'rank',
      'attachments',
      'hostedViewerUri',
      'workItemUris',
      'provenance',
      'fixes',
      'taxa',
      'webRequest',
      'webResponse',
      'properties',
    ],
    required: ['message'],
  },
  location: {
    allowed: [
      'id',
      'physicalLocation',
      'logicalLocations',
      'message',
      'annotations',
      'relationships',
      'properties',
    ],
    required: [],
  },
  physicalLocation: {
    allowed: ['address', 'artifactLocation', 'region', 'contextRegion', 'properties'],
    required: [],
  },
  artifactLocation: { allowed: ['uri', 'uriBaseId', 'index', 'description', 'properties'], required: [] },
  region: {
    allowed: [
      'startLine',
      'startColumn',
      'endLine',
      'endColumn',
      'charOffset',
      'charLength',
      'byteOffset',
      'byteLength',
      'snippet',
      'message',
      'sourceLanguage',
      'properties',
    ],
    required: [],
  },
};
const LEVELS = ['none', 'note', 'warning', 'error'];

function check(kind: keyof typeof SCHEMA, value: unknown, path: string): Json {
  assert.ok(
    value !== null && typeof value === 'object' && !Array.isArray(value),
    `${path}: ${kind} must be an object`,
  );
  const o = value as Json;
  const { allowed, required } = SCHEMA[kind]!;
  for (const k of Object.keys(o)) assert.ok(allowed.includes(k), `${path}: ${kind} does not define '${k}'`);
  for (const k of required) assert.ok(k in o, `${path}: ${kind} requires '${k}'`);
  return o;
}

function validateSarif(log: unknown): void {
  const root = check('sarifLog', log, '$');
  assert.equal(root.version, '2.1.0');
  assert.ok(Array.isArray(root.runs) && root.runs.length === 1);
  const run = check('run', root.runs[0], '$.runs[0]');
  assert.ok(run.columnKind === 'utf16CodeUnits' || run.columnKind === 'unicodeCodePoints');
  const tool = check('tool', run.tool, 'tool');
  const driver = check('toolComponent', tool.driver, 'driver');
  assert.equal(typeof driver.name, 'string');
  const rules = driver.rules as unknown[];
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    const rule = check('reportingDescriptor', r, `rules[${i}]`);
    assert.equal(typeof rule.id, 'string');
    assert.ok(!ids.has(rule.id as string), `rule id ${rule.id} twice`);
    ids.add(rule.id as string);
    check('multiformatMessageString', rule.shortDescription, `rules[${i}].shortDescription`);
    check('multiformatMessageString', rule.fullDescription, `rules[${i}].fullDescription`);
    check('multiformatMessageString', rule.help, `rules[${i}].help`);
    const conf = check(
      'reportingConfiguration',
      rule.defaultConfiguration,
      `rules[${i}].defaultConfiguration`,
    );
    assert.ok(LEVELS.includes(conf.level as string));
    check('propertyBag', rule.properties, `rules[${i}].properties`);
  });
  for (const [key, base] of Object.entries(run.originalUriBaseIds as Json)) {
    const b = check('artifactLocationBase', base, `originalUriBaseIds.${key}`);
    assert.match(b.uri as string, /^file:\/\/.*\/$/, 'a base URI is absolute and ends with /');
  }
  for (const [i, inv] of (run.invocations as unknown[]).entries()) {
    const invocation = check('invocation', inv, `invocations[${i}]`);
    assert.equal(typeof invocation.executionSuccessful, 'boolean');
    for (const n of (invocation.toolExecutionNotifications as unknown[]) ?? []) {
      const notification = check('notification', n, 'notification');
      assert.ok(LEVELS.includes(notification.level as string));
      check('message', notification.message, 'notification.message');
    }
  }
  (run.results as unknown[]).forEach((r, i) => {
    const result = check('result', r, `results[${i}]`);
    assert.ok(ids.has(result.ruleId as string), `results[${i}].ruleId names a rule of the driver`);
    assert.equal(
      rules[result.ruleIndex as number] && (rules[result.ruleIndex as number] as Json).id,
      result.ruleId,
    );
    assert.ok(LEVELS.includes(result.level as string));
    const message = check('message', result.message, `results[${i}].message`);
    assert.equal(typeof message.text, 'string');
    const locations = result.locations as unknown[];
    assert.ok(locations.length >= 1);
    for (const l of locations) {
      const physical = check(
        'physicalLocation',
        check('location', l, 'location').physicalLocation,
        'physicalLocation',
      );
      const artifact = check('artifactLocation', physical.artifactLocation, 'artifactLocation');
      assert.ok(!(artifact.uri as string).startsWith('/'), 'the uri is relative to its base');
      assert.ok((artifact.uriBaseId as string) in (run.originalUriBaseIds as Json));
      const region = check('region', physical.region, 'region');
      assert.ok(Number.isInteger(region.startLine) && (region.startLine as number) >= 1);
      assert.ok(Number.isInteger(region.startColumn) && (region.startColumn as number) >= 1);
    }
  });
}

test('SARIF 2.1.0: every rule described, one result per finding with a relative uri and a region, problems as notifications', async () => {
  const dir = tmpDir('lint-sarif');
  writeFiles(dir, {
    'pipelines/raw events.sql':
      "CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('d', format => 'json');\n",
    'cluster.yml': 'new_cluster:\n  autoscale: {min_workers: 1, max_workers: 2}\n',
    'nb.py': 'display(df)\n',
    'bundle/databricks.yml': 'bundle: {}\n',
  });
  const r = await lintPipelines([], { cwd: dir, session });
  const log = lintResultToSarif(r) as Json;
  validateSarif(log);
  const run = (log.runs as Json[])[0]!;
  assert.equal(((run.tool as Json).driver as Json).name, 'sluice-lint');
  assert.equal((((run.tool as Json).driver as Json).rules as unknown[]).length, LINT_RULES.length);
  assert.deepEqual(
    (run.results as Json[]).map((x) => {
      const loc = (x.locations as Json[])[0]!.physicalLocation as Json;
      return `${(loc.artifactLocation as Json).uri}:${(loc.region as Json).startLine} ${x.ruleId} ${x.level}`;
    }),
    [
      'cluster.yml:2 ST-05 warning',
      'nb.py:1 RSS-DEBUG-CODE warning',
      'pipelines/raw%20events.sql:1 ST-02 error',
    ],
  );
  const invocation = (run.invocations as Json[])[0]!;
  assert.equal(invocation.executionSuccessful, false);
  assert.match(
    ((invocation.toolExecutionNotifications as Json[])[0]!.message as Json).text as string,
    /^BUNDLE_INVALID: the bundle has no 'bundle.name'/,
  );
});

test('SARIF of a clean run: no results, a successful invocation', async () => {
  const dir = tmpDir('lint-sarif-clean');
  writeFiles(dir, { 'ok.sql': 'CREATE MATERIALIZED VIEW v AS SELECT 1 AS x;\n' });
  const log = lintResultToSarif(await lintPipelines([], { cwd: dir, session })) as Json;
  validateSarif(log);
  const run = (log.runs as Json[])[0]!;
  assert.deepEqual(run.results, []);
  assert.equal((run.invocations as Json[])[0]!.executionSuccessful, true);
});
