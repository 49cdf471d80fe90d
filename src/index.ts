/** sluice's programmatic API. The CLI is a thin layer over these exports. */
export * from './errors/index.ts';
export * from './model/index.ts';
