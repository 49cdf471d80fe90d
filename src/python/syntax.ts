/**
 * A Python module's syntax tree as plain readonly data: tree-sitter's named nodes copied out of
 * the parser's WebAssembly memory once, so analyses walk ordinary objects and nothing has to be
 * freed. Offsets index the source string (UTF-16 code units, as JavaScript strings do).
 */

/** One named node of tree-sitter-python's grammar (`call`, `attribute`, `decorator`, …). */
export interface PyNode {
  readonly type: string;
  /** The node's field name in its parent (`function`, `arguments`, `name`, …), when it has one. */
  readonly field: string | undefined;
  readonly start: number;
  readonly end: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Named children, comments excluded. */
  readonly children: readonly PyNode[];
}

/** A `#` comment. `ownLine`: nothing but indentation precedes it on its line. */
export interface PyComment {
  readonly text: string;
  readonly line: number;
  readonly column: number;
  readonly ownLine: boolean;
}

/** A parsed Python file. `hasErrors`: the parser recovered from syntax errors (ERROR nodes). */
export interface PythonModule {
  readonly source: string;
  readonly root: PyNode;
  readonly comments: readonly PyComment[];
  readonly hasErrors: boolean;
}

/** The source text of a node. */
export function nodeText(m: PythonModule, n: PyNode): string {
  return m.source.slice(n.start, n.end);
}

/** The child in field `field` (`function` of a call, `object` of an attribute, …). */
export function fieldOf(n: PyNode, field: string): PyNode | undefined {
  return n.children.find((c) => c.field === field);
}

/** Every node below `n` (itself included), depth first, in source order. */
export function* descendants(n: PyNode): Generator<PyNode> {
  const stack: PyNode[] = [n];
  while (stack.length > 0) {
    const x = stack.pop()!;
    yield x;
    for (let i = x.children.length - 1; i >= 0; i--) stack.push(x.children[i]!);
  }
}

/**
 * `a.b.c` for an identifier or a chain of attributes over identifiers; undefined for anything
 * else (a call, a subscript, …).
 */
export function dottedName(m: PythonModule, n: PyNode | undefined): string | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') return nodeText(m, n);
  if (n.type !== 'attribute') return undefined;
  const object = dottedName(m, fieldOf(n, 'object'));
  const attribute = fieldOf(n, 'attribute');
  return object !== undefined && attribute ? `${object}.${nodeText(m, attribute)}` : undefined;
}

/**
 * The value of a string literal without interpolations (an f-string's `{…}` parts are left out),
 * or of adjacent literals joined; undefined for any other node.
 */
export function stringValue(m: PythonModule, n: PyNode | undefined): string | undefined {
  if (!n) return undefined;
  if (n.type === 'concatenated_string') {
    const parts = n.children.map((c) => stringValue(m, c));
    return parts.every((p) => p !== undefined) ? parts.join('') : undefined;
  }
  if (n.type !== 'string') return undefined;
  return n.children
    .filter((c) => c.type === 'string_content' || c.type === 'escape_sequence')
    .map((c) => nodeText(m, c))
    .join('');
}

/** A call's positional arguments and keyword arguments (by name). */
export interface CallArguments {
  readonly positional: readonly PyNode[];
  readonly keyword: ReadonlyMap<string, PyNode>;
}

/** The arguments of a `call` node (a decorator without parentheses has none). */
export function callArguments(m: PythonModule, call: PyNode): CallArguments {
  const list = call.type === 'call' ? fieldOf(call, 'arguments') : undefined;
  const positional: PyNode[] = [];
  const keyword = new Map<string, PyNode>();
  for (const a of list?.children ?? []) {
    if (a.type === 'keyword_argument') {
      const name = fieldOf(a, 'name');
      const value = fieldOf(a, 'value');
      if (name && value) keyword.set(nodeText(m, name), value);
    } else if (a.type !== 'list_splat' && a.type !== 'dictionary_splat') positional.push(a);
  }
  return { positional, keyword };
}

/** A dictionary literal's entries whose keys are string literals, with their value nodes. */
export function dictEntries(m: PythonModule, n: PyNode | undefined): [string, PyNode][] {
  if (n?.type !== 'dictionary') return [];
  const out: [string, PyNode][] = [];
  for (const pair of n.children) {
    if (pair.type !== 'pair') continue;
    const key = stringValue(m, fieldOf(pair, 'key'));
    const value = fieldOf(pair, 'value');
    if (key !== undefined && value) out.push([key, value]);
  }
  return out;
}

/** The method name of a call like `x.name(…)`, and the receiver `x`. */
export function methodCall(
  m: PythonModule,
  call: PyNode,
): { readonly name: string; readonly receiver: PyNode } | undefined {
  if (call.type !== 'call') return undefined;
  const fn = fieldOf(call, 'function');
  if (fn?.type !== 'attribute') return undefined;
  const attribute = fieldOf(fn, 'attribute');
  const receiver = fieldOf(fn, 'object');
  return attribute && receiver ? { name: nodeText(m, attribute), receiver } : undefined;
}
