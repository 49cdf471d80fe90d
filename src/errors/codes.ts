/**
 * Every stable error code sluice can produce. A code never changes meaning once shipped;
 * callers (tests, the engine's retry logic, users' scripts) match on codes, never on text.
 *
 * `domain` says whose fault it is: `user` (fix your pipeline or data; never retried),
 * `external` (the environment — I/O, network, a concurrent writer; may be retried),
 * `internal` (a bug in sluice).
 */
export const ERROR_CODES = {
  // generic / CLI
  USAGE: { domain: 'user', summary: 'The command line is not valid.' },
  INTERNAL: { domain: 'internal', summary: 'An unexpected error inside sluice.' },
  IO_ERROR: { domain: 'external', summary: 'A file-system operation failed.' },
  INVALID_ENVIRONMENT: {
    domain: 'user',
    summary: 'An environment variable sluice reads has an invalid value.',
  },
  OUT_OF_MEMORY: {
    domain: 'user',
    summary: 'DuckDB needed more memory than SLUICE_MEMORY_LIMIT allows and could not spill.',
  },

  // Delta storage
  DELTA_TABLE_NOT_FOUND: { domain: 'user', summary: 'No Delta table (no _delta_log) at the path.' },
  DELTA_VERSION_NOT_FOUND: { domain: 'user', summary: 'The requested table version does not exist.' },
  DELTA_CORRUPT_LOG: { domain: 'external', summary: 'A Delta log file is truncated or not valid JSON.' },
  DELTA_CORRUPT_CHECKPOINT: { domain: 'external', summary: 'A Delta checkpoint cannot be read.' },
  DELTA_MISSING_DATA_FILE: { domain: 'external', summary: 'A data file named by the log is missing.' },
  DELTA_UNSUPPORTED_FEATURE: {
    domain: 'user',
    summary: 'The table uses a Delta feature sluice does not support.',
  },
  DELTA_UNSUPPORTED_PROTOCOL: {
    domain: 'user',
    summary: 'The table requires a newer Delta protocol version.',
  },
  DELTA_UNSUPPORTED_TYPE: {
    domain: 'user',
    summary: 'A column type cannot be mapped between Delta and DuckDB.',
  },
  DELTA_SCHEMA_MISMATCH: { domain: 'user', summary: 'Written data does not fit the table schema.' },
  DELTA_CONCURRENT_MODIFICATION: {
    domain: 'external',
    summary: 'A concurrent commit changed metadata, protocol or overwrote data.',
  },
  DELTA_COMMIT_RETRIES_EXHAUSTED: { domain: 'external', summary: 'A commit kept conflicting and gave up.' },
  DELTA_TABLE_EXISTS: { domain: 'user', summary: 'A Delta table already exists at the path.' },
  DELTA_CDF_NOT_ENABLED: {
    domain: 'user',
    summary: 'Change data feed is not enabled for the requested versions.',
  },
  DELTA_TABLE_APPEND_ONLY: {
    domain: 'user',
    summary: 'The table sets delta.appendOnly = true; rows cannot be removed.',
  },

  // maintenance
  DELTA_INVALID_TABLE_PROPERTY: {
    domain: 'user',
    summary: 'A Delta table property has a value sluice cannot use (a retention that is not an interval, …).',
  },
  TABLE_MAINTENANCE_FAILED: {
    domain: 'external',
    summary:
      'A maintenance step of a table (compaction, log clean-up, vacuum) failed; the table reads as before.',
  },

  // query command
  QUERY_FAILED: { domain: 'user', summary: 'The SQL query failed.' },
  TABLE_OR_VIEW_NOT_FOUND: { domain: 'user', summary: 'SQL names a table or view that does not exist.' },
  FILE_ACCESS_DENIED: {
    domain: 'user',
    summary: 'SQL tried to read a file outside the folders it may read (sluice query: --allow-files).',
  },
  QUERY_READ_ONLY: { domain: 'user', summary: 'sluice query only runs read-only statements.' },

  // event log & notifications
  EVENT_LOG_NOT_FOUND: { domain: 'user', summary: 'The pipeline has no event log yet (no update has run).' },
  UPDATE_NOT_FOUND: { domain: 'user', summary: 'No update with that id is in the event log.' },
  EVENT_LOG_REPAIRED: {
    domain: 'external',
    summary: 'Unreadable commits of the event log were replaced; the events they held are lost.',
  },
  UPDATE_ENDED_ABNORMALLY: {
    domain: 'external',
    summary: 'An update stopped without finishing (its process died).',
  },
  NOTIFICATION_FAILED: {
    domain: 'external',
    summary: 'A webhook or email notification could not be delivered.',
  },

  // spec
  PIPELINE_SPEC_NOT_FOUND: { domain: 'user', summary: 'No spark-pipeline.yml / sluice.yml was found.' },
  PIPELINE_SPEC_INVALID: { domain: 'user', summary: 'The pipeline spec is not valid.' },
  PIPELINE_SPEC_UNEXPECTED_FIELD: {
    domain: 'user',
    summary: 'The pipeline spec has a field sluice does not know.',
  },
  PIPELINE_SPEC_INVALID_GLOB_PATTERN: { domain: 'user', summary: 'A libraries glob pattern is not valid.' },

  // Databricks Asset Bundles
  BUNDLE_INVALID: {
    domain: 'user',
    summary: 'A databricks.yml bundle (or a file it includes) is one the Databricks CLI would refuse.',
  },
  BUNDLE_PIPELINE_NOT_FOUND: {
    domain: 'user',
    summary: 'The bundle has no such pipeline, or several and none was chosen with --pipeline.',
  },
  BUNDLE_UNKNOWN_FIELD: {
    domain: 'user',
    summary: 'A bundle pipeline field sluice does not know (ignored).',
  },
  BUNDLE_REFERENCE_UNRESOLVED: {
    domain: 'user',
    summary: 'A ${…} reference sluice cannot resolve locally (workspace, resources) is kept as text.',
  },
  PYTHON_LIBRARY_NOT_SUPPORTED: {
    domain: 'user',
    summary: 'A Python library file or notebook: sluice runs SQL and TypeScript pipeline code.',
  },

  // export
  EXPORT_INVALID_PIPELINE: { domain: 'user', summary: 'Only a valid pipeline can be exported.' },
  EXPORT_TARGET_NOT_EMPTY: { domain: 'user', summary: 'The export folder exists and is not empty.' },
  PIPELINE_ALREADY_INITIALIZED: {
    domain: 'user',
    summary: 'sluice init found an existing pipeline spec and left it alone.',
  },

  // SQL front end
  SQL_SYNTAX_ERROR: { domain: 'user', summary: 'A SQL statement does not parse.' },
  SQL_UNSUPPORTED_STATEMENT: {
    domain: 'user',
    summary: 'A SQL statement is not part of the pipeline dialect.',
  },
  UNSUPPORTED_SPARK_FUNCTION: { domain: 'user', summary: 'A Spark SQL function has no DuckDB translation.' },
  UNSAFE_CONFIGURATION_VALUE: {
    domain: 'user',
    summary: 'A `${…}` value would change the structure of the statement it is put in (injection).',
  },
  UNDEFINED_CONFIGURATION_KEY: {
    domain: 'user',
    summary: 'A `${…}` reference names no configuration entry.',
  },
  TS_PIPELINE_LOAD_FAILED: { domain: 'user', summary: 'A TypeScript pipeline file failed to load.' },
  TS_INVALID_DEFINITION: { domain: 'user', summary: 'A TypeScript API call has invalid arguments.' },
  TS_QUERY_INPUT_MISMATCH: {
    domain: 'user',
    summary:
      'A TypeScript query reads a dataset or files it did not declare with read()/stream()/readFiles().',
  },

  // graph
  CIRCULAR_DEPENDENCY: { domain: 'user', summary: 'Datasets depend on each other in a cycle.' },
  DATASET_NOT_DEFINED: { domain: 'user', summary: 'A query reads a dataset that is not defined.' },
  DUPLICATE_GRAPH_ELEMENT: { domain: 'user', summary: 'A dataset or flow name is defined twice.' },
  PIPELINE_DATASET_WITHOUT_FLOW: { domain: 'user', summary: 'A streaming table has no flow writing to it.' },
  MATERIALIZED_VIEW_WITH_MULTIPLE_QUERIES: {
    domain: 'user',
    summary: 'A materialized view has more than one flow.',
  },
  'INVALID_FLOW_QUERY_TYPE.BATCH_RELATION_FOR_STREAMING_TABLE': {
    domain: 'user',
    summary: 'A streaming table flow reads no streaming source.',
  },
  'INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW': {
    domain: 'user',
    summary: 'A materialized view reads a streaming source.',
  },
  INCOMPATIBLE_BATCH_VIEW_READ: {
    domain: 'user',
    summary: 'A view whose query reads no stream is read with STREAM(…).',
  },
  INCOMPATIBLE_STREAMING_VIEW_READ: {
    domain: 'user',
    summary: 'A view whose query reads a stream is read without STREAM(…).',
  },
  DUPLICATE_EXPECTATION_NAME: { domain: 'user', summary: 'Two expectations of a dataset share a name.' },
  INVALID_EXPECTATION: {
    domain: 'user',
    summary: 'An expectation does not parse or names an unknown column.',
  },
  INVALID_DATASET_NAME: { domain: 'user', summary: 'A dataset name is not a valid identifier.' },
  UPSTREAM_FAILED: { domain: 'user', summary: 'A dataset cannot be resolved because an input failed.' },
  STREAMING_QUERY_NOT_SUPPORTED: {
    domain: 'user',
    summary:
      "A streaming table's query needs state across micro-batches (aggregation, DISTINCT, a stream-stream join, …) that sluice does not keep.",
  },
  MISSING_EXPECTATIONS: { domain: 'user', summary: 'A streaming table has no expectations (rule ST-02).' },

  // engine
  CONFLICTING_PIPELINE_REFRESH_OPTIONS: { domain: 'user', summary: 'Refresh options contradict each other.' },
  TABLE_NOT_RESETTABLE: { domain: 'user', summary: 'The table sets pipelines.reset.allowed = false.' },
  PIPELINE_ALREADY_RUNNING: { domain: 'user', summary: 'Another update holds the pipeline lock.' },
  STREAMING_SOURCE_NOT_APPEND_ONLY: {
    domain: 'user',
    summary: 'An upstream commit removed rows from a streaming source.',
  },
  EXPECTATION_VIOLATION: { domain: 'user', summary: 'A FAIL UPDATE expectation was violated.' },
  // file sources
  SOURCE_RECORD_TOO_LARGE: {
    domain: 'user',
    summary: 'A line of a source file is larger than the read_files option maxRecordSize.',
  },
  SOURCE_FILE_COMPRESSION_UNSUPPORTED: {
    domain: 'user',
    summary: 'A source file is compressed with a codec sluice cannot read (only .gz and .zst).',
  },
  SOURCE_FILE_SKIPPED: {
    domain: 'user',
    summary: 'A source file was not read: corrupt (ignoreCorruptFiles) or gone (ignoreMissingFiles).',
  },
  SOURCE_FILE_CHANGED: {
    domain: 'user',
    summary: 'A source file changed after it was read; without allowOverwrites its new content is not read.',
  },
  SOURCE_SYMLINK_SKIPPED: {
    domain: 'user',
    summary: 'A symbolic link under a file source leads outside the source folder and is not followed.',
  },
  FLOW_EXECUTION_FAILED: { domain: 'user', summary: 'A flow query failed while running.' },
  FLOW_CHECKPOINT_INCONSISTENT: {
    domain: 'user',
    summary:
      "A flow's checkpoint and its table disagree (offsets lost or ahead); a full refresh of the table rebuilds both.",
  },
  UNRESOLVED_COLUMN: { domain: 'user', summary: 'A query names a column its input does not have.' },
  CAST_INVALID_INPUT: {
    domain: 'user',
    summary: 'A value cannot be converted to the type a query or a table asks for.',
  },
  ARITHMETIC_OVERFLOW: { domain: 'user', summary: 'An arithmetic result does not fit its type.' },
  DATATYPE_MISMATCH: {
    domain: 'user',
    summary: 'A function or operator is given values of types it does not take.',
  },
  UNSUPPORTED_REGEX: {
    domain: 'user',
    summary: 'A regular expression is not valid, or uses Java syntax RE2 lacks.',
  },
  DISK_FULL: { domain: 'external', summary: 'The disk is full; nothing of the failed write was committed.' },
  SOURCE_FILE_UNREADABLE: { domain: 'user', summary: 'A source file cannot be read.' },
  INVALID_FILE_SOURCE_OPTION: {
    domain: 'user',
    summary: 'A read_files option has a value sluice cannot use.',
  },
  INVALID_SCHEMA_DDL: { domain: 'user', summary: 'A read_files schema option is not valid Spark DDL.' },
  // file sources: formats, schema evolution (issue 13)
  READ_FILES_FORMAT_UNKNOWN: {
    domain: 'user',
    summary:
      'read_files without format => over files whose format cannot be told (none yet, several formats, unknown extensions).',
  },
  UNSUPPORTED_FILE_FORMAT: {
    domain: 'user',
    summary: 'A file source names a format sluice does not read (Avro, ORC, binaryFile).',
  },
  SOURCE_SCHEMA_NEW_COLUMNS: {
    domain: 'user',
    summary: "New files have columns the source's schema lacks, and schemaEvolutionMode is failOnNewColumns.",
  },
  // end file sources (issue 13)
  // xml source (issue 13)
  UNSUPPORTED_XML: {
    domain: 'user',
    summary:
      'An XML source (format xml) has a construct or option outside the subset sluice reads exactly as Spark does; the message names the file and the construct.',
  },
  // end xml source (issue 13)
  // Spark SQL syntax (issue 13)
  UNSUPPORTED_SQL_SYNTAX: {
    domain: 'user',
    summary: 'A query uses Spark SQL syntax sluice does not translate (the message names the construct).',
  },
  // end Spark SQL syntax (issue 13)
  // casts (issue 13)
  UNSUPPORTED_CAST: {
    domain: 'user',
    summary: 'A CAST sluice cannot translate exactly (the message names the source and target types).',
  },
  // end casts (issue 13)
  // math and aggregate functions (issue 13)
  DIVIDE_BY_ZERO: {
    domain: 'user',
    summary:
      'A division, mod() or pmod() by zero (Spark fails in ANSI mode; try_divide / try_mod give NULL).',
  },
  // end math and aggregate functions (issue 13)
  // string, regex, URL, hash and misc functions (issue 13)
  INVALID_FUNCTION_INPUT: {
    domain: 'user',
    summary:
      'A function got a value Spark rejects at run time too (an index out of range, text that does not match its format, an invalid URL, escape or UTF-8).',
  },
  UNSUPPORTED_VALUE: {
    domain: 'user',
    summary:
      'A function got a value sluice cannot compute exactly as Spark does (the message says which); the query fails rather than give another result.',
  },
  // end string, regex, URL, hash and misc functions (issue 13)
  // lint (issue 17)
  LINT_CONFIG_INVALID: {
    domain: 'user',
    summary: 'A .sluicelint.yml or a spec lint: key names an unknown rule or severity.',
  },
  LINT_PATH_NOT_FOUND: { domain: 'user', summary: 'A path given to sluice lint does not exist.' },
  // end lint (issue 17)
  // ui (issue 18)
  UI_HOST_REJECTED: {
    domain: 'user',
    summary: "A dashboard request's Host is not the address sluice ui serves (a DNS-rebinding guard).",
  },
  UI_ORIGIN_REJECTED: {
    domain: 'user',
    summary: 'A dashboard request came from a page of another origin (a cross-site request).',
  },
  UI_TOKEN_INVALID: {
    domain: 'user',
    summary: 'A state-changing dashboard request lacks the per-process token, or carries another.',
  },
  UI_PORT_IN_USE: { domain: 'external', summary: 'The address sluice ui was asked to listen on is taken.' },
  UI_NOT_FOUND: { domain: 'user', summary: 'The dashboard has no such route, pipeline, table or update.' },
  UI_NO_RUNNING_UPDATE: { domain: 'user', summary: 'Stop was asked while no update of the pipeline runs.' },
  // end ui (issue 18)
  // ui start-up (issue 18)
  UI_CLOSED: {
    domain: 'external',
    summary: 'The dashboard closed while it was validating a pipeline (the validation was stopped).',
  },
  // end ui start-up (issue 18)
  // change data capture (issue 14)
  AUTO_CDC_INVALID_DEFINITION: {
    domain: 'user',
    summary:
      'An AUTO CDC / APPLY CHANGES flow is declared wrongly (its target is not a streaming table, the target has other flows, a clause does not fit the SCD type, a key is not written).',
  },
  AUTO_CDC_NULL_SEQUENCE: {
    domain: 'user',
    summary: 'A change event has a NULL SEQUENCE BY value; events cannot be ordered without one.',
  },
  AUTO_CDC_NULL_KEY: { domain: 'user', summary: 'A change event has a NULL key column.' },
  AUTO_CDC_SEQUENCE_TIE: {
    domain: 'user',
    summary:
      'Two different change events for one key have the same SEQUENCE BY value, so which one wins is undefined.',
  },
  // end change data capture (issue 14)
  // cdc 2 (issue 14)
  AUTO_CDC_SNAPSHOT_DUPLICATE_KEY: {
    domain: 'user',
    summary:
      'A snapshot read by an AUTO CDC FROM SNAPSHOT flow holds two rows with one key (or a NULL key), so it is not a snapshot of keyed rows.',
  },
  AUTO_CDC_SNAPSHOT_NOT_EXPORTABLE: {
    domain: 'user',
    summary: 'An AUTO CDC FROM SNAPSHOT flow has no SQL form to export (Databricks declares it in Python).',
  },
  // end cdc 2 (issue 14)
  // snapshot functions (issue 14)
  AUTO_CDC_SNAPSHOT_FUNCTION_INVALID: {
    domain: 'user',
    summary:
      "An AUTO CDC FROM SNAPSHOT flow's source function gave something other than { query: sql`…`, version: <integer> } or nothing, or a query that reads more than files and Delta tables by path, in batch.",
  },
  AUTO_CDC_SNAPSHOT_FUNCTION_FAILED: {
    domain: 'user',
    summary: "An AUTO CDC FROM SNAPSHOT flow's source function threw (or its promise rejected).",
  },
  AUTO_CDC_SNAPSHOT_VERSION_NOT_INCREASING: {
    domain: 'user',
    summary:
      "An AUTO CDC FROM SNAPSHOT flow's source function gave a snapshot version not greater than the last one processed.",
  },
  // end snapshot functions (issue 14)
  // change data feed reads (issue 14)
  STREAM_READ_OPTION_UNSUPPORTED: {
    domain: 'user',
    summary:
      'A streaming read of a dataset has a reader option (STREAM(x) WITH (…)) sluice does not read, an invalid value, or one that does not fit the read (startingVersion without readChangeFeed, a change feed of a view).',
  },
  // end change data feed reads (issue 14)
  // stateful streaming (issue 16)
  WATERMARK_DELAY_INVALID: {
    domain: 'user',
    summary:
      'A watermark delay is not a positive interval literal less than a month (WATERMARK … DELAY OF, withWatermark).',
  },
  WINDOW_DURATION_INVALID: {
    domain: 'user',
    summary:
      'A window() duration, slide or start is not a positive interval string, or breaks Spark rules (slide ≤ duration, |start| < slide).',
  },
  STATE_STORE_INCONSISTENT: {
    domain: 'user',
    summary:
      "A stateful flow's state for its last committed batch is missing from its checkpoint; a full refresh of the table rebuilds both.",
  },
  // end stateful streaming (issue 16)
  // stateful streaming 2 (issue 16)
  SESSION_WINDOW_DYNAMIC_GAP: {
    domain: 'user',
    summary:
      'A session_window() gap is an expression rather than an interval string: sluice keeps sessions of one fixed gap.',
  },
  // end stateful streaming 2 (issue 16)
  // stream joins (issue 16)
  STREAM_JOIN_NOT_SUPPORTED: {
    domain: 'user',
    summary:
      'A join of two streams has a shape sluice cannot run with Spark semantics (full outer, semi/anti, more than two streams, no equality key, joined with aggregation, …).',
  },
  STREAM_JOIN_STATE_UNBOUNDED: {
    domain: 'user',
    summary:
      'A join of two streams lacks a watermark on a side or an event-time range condition bounding the state of both sides, so its state could never be evicted.',
  },
  // end stream joins (issue 16)
  // computed event time (issue 16)
  REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE: {
    domain: 'user',
    summary:
      'A WATERMARK clause computes its event time from an expression without naming it (WATERMARK expr AS name DELAY OF …), as Spark refuses.',
  },
  CANNOT_USE_MULTI_ALIASES_IN_WATERMARK_CLAUSE: {
    domain: 'user',
    summary: 'A WATERMARK clause names its event time with several aliases (AS (a, b)), as Spark refuses.',
  },
  WATERMARK_EVENT_TIME_NOT_DETERMINISTIC: {
    domain: 'user',
    summary:
      'A computed event time (WATERMARK expr AS name) is not a deterministic per-row transformation of the stream’s columns (random, clock, subquery, aggregate, no column).',
  },
  EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE: {
    domain: 'user',
    summary: 'A computed event time (WATERMARK expr AS name) is not of type TIMESTAMP, as Spark requires.',
  },
  WATERMARK_EVENT_TIME_CONFLICT: {
    domain: 'user',
    summary:
      'A computed event time (WATERMARK expr AS name) is named like a column the stream already has: the read would have two columns of that name.',
  },
  // end computed event time (issue 16)
  // Delta reader features (issue 15)
  DELTA_CORRUPT_DELETION_VECTOR: {
    domain: 'external',
    summary: 'A deletion vector of the table is missing or damaged, so its file cannot be read correctly.',
  },
  // end Delta reader features (issue 15)
  // legacy mode (issue 13)
  LEGACY_MODE_INVALID_SETTING: {
    domain: 'user',
    summary:
      "spark.sql.ansi.enabled is set (SET or the pipeline's configuration) to something other than true or false.",
  },
  LEGACY_MODE_UNSUPPORTED: {
    domain: 'user',
    summary:
      'With spark.sql.ansi.enabled = false, a construct whose non-ANSI (legacy) result sluice cannot compute exactly (the message names it); refused rather than give another value.',
  },
  LEGACY_MODE_UNRESOLVED_TYPE: {
    domain: 'internal',
    summary:
      'A non-ANSI conversion whose type is learned when the query is bound reached DuckDB unresolved (a bug in sluice: every binding must type it).',
  },
  // end legacy mode (issue 13)
  // output column names (issue 13)
  UNALIASED_EXPRESSION: {
    domain: 'user',
    summary:
      "A dataset query's output has a computed select item without an alias: Spark names it after the expression's text, which Delta tables refuse without column mapping; add an alias.",
  },
  DECLARED_COLUMNS_MISMATCH: {
    domain: 'user',
    summary:
      "A materialized view declares columns that are not its query's output columns, by name and in order; sluice does not guess whether they rename or select them.",
  },
  // end output column names (issue 13)
  // output names (issue 13, s13-12)
  DELTA_DUPLICATE_COLUMNS_FOUND: {
    domain: 'user',
    summary:
      "A dataset's output has two columns of one name, compared without regard to case as Delta does (`SELECT a, a`, `s.*, s.f`, `t1.*, t2.*` sharing a column); Delta refuses to save such data, so the dataset is refused before anything is written.",
  },
  DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES: {
    domain: 'user',
    summary:
      "A dataset's output has a column or nested struct field whose name holds one of ' ,;{}()\\n\\t=' (e.g. a CSV header `Last Update`); Delta refuses such names without column mapping, which sluice does not write: rename the column with an alias.",
  },
  // end output names (issue 13, s13-12)
  // declared columns (issue 13, s13-13)
  USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE: {
    domain: 'user',
    summary:
      "A table's declared columns do not take what one of its flows writes (Spark's rule): a column a streaming table's list lacks, a type that is not the declared one (materialized views too), or a NOT NULL / untyped declared column the flow leaves out.",
  },
  // end declared columns (issue 13, s13-13)
} as const satisfies Record<string, { domain: ErrorDomain; summary: string }>;

export type ErrorDomain = 'user' | 'external' | 'internal';
export type ErrorCode = keyof typeof ERROR_CODES;
