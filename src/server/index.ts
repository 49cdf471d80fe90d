/**
 * The pipeline dashboard (`sluice ui`): an HTTP server over the package's public API — the
 * validated graph, the event log followed live, the Delta tables, and controls to start and
 * stop updates — with its built front end (`web/`, bundled into `dist/ui/`).
 */

export { type Dashboard, type DashboardOptions, DEFAULT_PORT, startDashboard } from './dashboard-server.ts';
export type {
  ErrorJson,
  GraphJson,
  PipelineEntry,
  SessionJson,
  StatusJson,
  UpdateStatusJson,
} from './dashboard-types.ts';
export { TOKEN_HEADER } from './security.ts';
