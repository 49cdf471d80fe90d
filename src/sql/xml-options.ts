import { SluiceError } from '../errors/index.ts';

/**
 * The options of an XML file source (`format => 'xml'`, `cloud_files(path, 'xml', map(…))`), as
 * Spark's XML data source defines them, restricted to what sluice reads exactly:
 * - `rowTag` (required): the element each row is read from; a plain XML name;
 * - `attributePrefix` (default `_`): the prefix of the columns read from the row element's
 *   attributes; `valueTag` (default `_VALUE`) may not be the same;
 * - `excludeAttribute` (default false): attributes are not read;
 * - `ignoreSurroundingSpaces`: whether leading and trailing whitespace of values is removed. The
 *   Spark documentation (true) and Spark's source (false) disagree on the default, so when it is
 *   not set a value with surrounding whitespace is refused (UNSUPPORTED_XML) instead of guessed;
 * - `nullValue` (default none): the text that reads as NULL.
 * Refused (UNSUPPORTED_XML): `ignoreNamespace`, `rowValidationXSDPath`, `treatEmptyValuesAsNulls`
 * = true, `preferDate` = false, `multiLine` = false, `timestampNTZFormat`, `wildcardColName`
 * (each changes what is read in ways sluice does not implement). Keys are case-insensitive and may
 * carry Auto Loader's `cloudFiles.` prefix.
 */
export interface XmlReadOptions {
  readonly rowTag: string;
  readonly attributePrefix: string;
  readonly valueTag: string;
  readonly excludeAttribute: boolean;
  /** Undefined: not set (surrounding whitespace is refused). */
  readonly ignoreSurroundingSpaces?: boolean;
  readonly nullValue?: string;
}

/** XML names sluice matches with its regular expressions: no namespace prefix, no escapes needed. */
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Option keys (lower case) the XML reader handles itself (not refused as unimplemented by other readers' checks). */
export const XML_OPTION_KEYS: ReadonlySet<string> = new Set([
  'rowtag',
  'attributeprefix',
  'valuetag',
  'excludeattribute',
  'ignoresurroundingspaces',
  'nullvalue',
  'ignorenamespace',
  'rowvalidationxsdpath',
  'treatemptyvaluesasnulls',
  'preferdate',
  'multiline',
  'timestampntzformat',
  'wildcardcolname',
  'samplingratio',
  'columnnameofcorruptrecord',
  'inferschema',
]);

/** UNSUPPORTED_XML: an option (or construct) outside the subset sluice reads exactly. */
export function unsupportedXml(construct: string, message: string, file?: string): SluiceError {
  return new SluiceError('UNSUPPORTED_XML', message, {
    params: { construct, ...(file !== undefined ? { file } : {}) },
  });
}

function invalidOption(key: string, value: string, expected: string): SluiceError {
  return new SluiceError('INVALID_FILE_SOURCE_OPTION', `read_files option ${key} = '${value}': ${expected}`, {
    params: { option: key, value },
  });
}

function bool(key: string, value: string): boolean {
  const s = value.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw invalidOption(key, value, 'expected true or false');
}

/**
 * The XML options of `raw` (see {@link XmlReadOptions}).
 * @throws SluiceError INVALID_FILE_SOURCE_OPTION (rowTag missing, a boolean that is not one),
 *   UNSUPPORTED_XML (an option outside the subset)
 */
export function parseXmlOptions(
  raw: Readonly<Record<string, string | number | boolean | undefined>>,
): XmlReadOptions {
  const o = new Map<string, string>();
  const prefixed = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (key.startsWith('cloudfiles.')) prefixed.set(key.slice('cloudfiles.'.length), String(v));
    else o.set(key, String(v));
  }
  for (const [k, v] of prefixed) if (!o.has(k)) o.set(k, v);
  const rowTag = o.get('rowtag');
  if (rowTag === undefined || rowTag.trim() === '') {
    throw invalidOption(
      'rowTag',
      rowTag ?? '',
      "an XML source needs rowTag, the element each row is read from (map('rowTag', 'book'))",
    );
  }
  if (!XML_NAME.test(rowTag)) {
    throw unsupportedXml(
      'rowTag',
      `XML rowTag '${rowTag}' is not a plain element name (letters, digits, '_', '-', '.'; no namespace prefix): sluice does not read it`,
    );
  }
  const refuse = (key: string, why: string): never => {
    throw unsupportedXml(key, `XML option ${key} = '${o.get(key.toLowerCase())}' is not supported: ${why}`);
  };
  if (o.has('ignorenamespace') && bool('ignoreNamespace', o.get('ignorenamespace')!))
    refuse('ignoreNamespace', 'sluice reads no namespaced elements');
  if (o.has('rowvalidationxsdpath'))
    refuse('rowValidationXSDPath', 'sluice does not validate rows against an XSD');
  if (o.has('treatemptyvaluesasnulls') && bool('treatEmptyValuesAsNulls', o.get('treatemptyvaluesasnulls')!))
    refuse('treatEmptyValuesAsNulls', 'sluice reads empty values as Spark does by default');
  if (o.has('preferdate') && !bool('preferDate', o.get('preferdate')!))
    refuse('preferDate', 'sluice infers dates as Spark does by default');
  if (o.has('multiline') && !bool('multiLine', o.get('multiline')!))
    refuse('multiLine', 'sluice reads XML files whole (multiLine true, the default)');
  if (o.has('timestampntzformat')) refuse('timestampNTZFormat', 'sluice infers no TIMESTAMP_NTZ columns');
  if (o.has('wildcardcolname')) refuse('wildcardColName', 'sluice has no wildcard column');
  const attributePrefix = o.get('attributeprefix') ?? '_';
  const valueTag = o.get('valuetag') ?? '_VALUE';
  if (valueTag === '' || valueTag === attributePrefix) {
    throw invalidOption('valueTag', valueTag, 'must be non-empty and differ from attributePrefix');
  }
  const spaces = o.get('ignoresurroundingspaces');
  const nullValue = o.get('nullvalue');
  return {
    rowTag,
    attributePrefix,
    valueTag,
    excludeAttribute: o.has('excludeattribute')
      ? bool('excludeAttribute', o.get('excludeattribute')!)
      : false,
    ...(spaces !== undefined ? { ignoreSurroundingSpaces: bool('ignoreSurroundingSpaces', spaces) } : {}),
    ...(nullValue !== undefined ? { nullValue } : {}),
  };
}
