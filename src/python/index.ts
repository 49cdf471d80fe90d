/**
 * The Python front end: Python files parsed with tree-sitter's Python grammar (never evaluated)
 * into plain syntax trees, and what a pipeline file declares through the Lakeflow Python API.
 * sluice runs SQL and TypeScript; Python is read to lint it and to refuse it precisely.
 */
export {
  chainHasAttribute,
  findPythonDefinitions,
  PipelineApiNames,
  type PythonDataset,
  type PythonDatasetKind,
  type PythonDefinitions,
  type PythonExpectation,
  type PythonExpectationAction,
  type PythonFlow,
  type PythonPosition,
  type PythonRead,
  readsIn,
} from './definitions.ts';
export { PythonParser } from './parser.ts';
export {
  type CallArguments,
  callArguments,
  descendants,
  dictEntries,
  dottedName,
  fieldOf,
  methodCall,
  nodeText,
  type PyComment,
  type PyNode,
  type PythonModule,
  stringValue,
} from './syntax.ts';
