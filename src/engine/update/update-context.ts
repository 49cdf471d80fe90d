import type { SluiceError } from '../../errors/index.ts';
import type { ExecutionPlan, FlowPlan } from '../../graph/index.ts';
import type { SqlCompiler } from '../../sql/index.ts';
import type { Database } from '../../util/index.ts';
import type { EngineEvent } from '../engine-events.ts';
import type { XmlCheckedFiles } from '../sources/file-xml.ts';
import type { ParquetSchemas } from '../sources/parquet-schemas.ts';
import type { TableCache } from '../tables/table-cache.ts';
import type { ExpectationCache } from '../writing/expectations.ts';

/**
 * What every flow of one update shares. Everything here lives exactly as long as the update:
 * the table cache and the compiled expectations are made when it starts and dropped when it
 * ends, so two updates in one process never see each other's state.
 */
export interface UpdateContext {
  readonly plan: ExecutionPlan;
  /** Absolute storage folder of the pipeline. */
  readonly storage: string;
  /** The pipeline folder: relative source paths resolve against it. */
  readonly root: string;
  readonly pipeline: string;
  readonly updateId: string;
  readonly configuration: Readonly<Record<string, string>>;
  /** Aborted on SIGINT/SIGTERM: flows finish their current batch and stop. */
  readonly signal?: AbortSignal;
  /** The session's database: each running flow takes its own connection. */
  readonly db: Database;
  /** The session's SQL front end (expectations, refresh-by-groups rewrites). */
  readonly sql: SqlCompiler;
  readonly tables: TableCache;
  readonly expectations: ExpectationCache;
  /** The columns of Parquet files read in this update (a batch's planning and binding share them). */
  readonly parquetSchemas: ParquetSchemas;
  /** The XML files that passed the subset checks in this update (inference and the batch share them). */
  readonly xmlChecked: XmlCheckedFiles;
  emit(event: EngineEvent): Promise<void>;
  /**
   * Reports something a flow goes on despite (a `flow_warning` event, and in its result); a
   * warning the flow already got in this update (same code and message) is not given again.
   */
  warn(flow: FlowPlan, warning: SluiceError): Promise<void>;
}
