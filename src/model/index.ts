export * from './auto-cdc.ts';
export * from './data-type.ts';
export * from './dataset.ts';
export * from './expectation.ts';
export * from './flow.ts';
export * from './pipeline.ts';
export * from './query.ts';
