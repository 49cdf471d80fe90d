/** Routes (`#/<pipeline>/<page>/<arg>`) and what every page of one pipeline gets. */
import type { GraphJson, StatusJson } from '../dashboard-types.ts';

export type PageName = 'graph' | 'updates' | 'quality' | 'tables' | 'events';

export const PAGES: readonly { name: PageName; label: string }[] = [
  { name: 'graph', label: 'Graph' },
  { name: 'updates', label: 'Updates' },
  { name: 'quality', label: 'Data quality' },
  { name: 'tables', label: 'Tables' },
  { name: 'events', label: 'Event log' },
];

export interface Route {
  readonly pipeline: string | undefined;
  readonly page: PageName;
  readonly arg: string | undefined;
}

export function parseHash(hash: string): Route {
  const [pipeline, page, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const name = PAGES.some((p) => p.name === page) ? (page as PageName) : 'graph';
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  return { pipeline: pipeline ? decodeURIComponent(pipeline) : undefined, page: name, arg };
}

/** The hash of a route. */
export function href(pipeline: string, page: PageName, arg?: string): string {
  return `#/${encodeURIComponent(pipeline)}/${page}${arg !== undefined ? `/${encodeURIComponent(arg)}` : ''}`;
}

/** What every page of one pipeline gets. */
export interface PipelineView {
  readonly id: string;
  readonly base: string;
  readonly graph: GraphJson | undefined;
  /** The latest update, live. */
  readonly status: StatusJson | undefined;
  /** Changes whenever the live feed brings news: pages reload their lists on it. */
  readonly tick: number;
  readonly route: Route;
}
