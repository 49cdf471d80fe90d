/** sluice's programmatic API. The CLI is a thin layer over these exports. */

// Pipeline definitions: the TypeScript API pipelines import, spec loading, graph validation.
export * from './api/index.ts';
export * from './errors/index.ts';
export * from './graph/index.ts';
export * from './model/index.ts';
export * from './spec/index.ts';
