/**
 * Strongly connected components that form cycles (size > 1, or a self-loop), each as a concrete
 * cycle path `[a, b, …, a]` starting at its earliest-defined member. Iterative Tarjan, so long
 * chains do not exhaust the stack.
 */
export function findCycles(
  nodes: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): string[][] {
  const order = new Map(nodes.map((n, i) => [n, i]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const out = deps.get(top.node) ?? [];
      if (top.next < out.length) {
        const w = out[top.next++]!;
        if (!order.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== top.node);
        const selfLoop = scc.length === 1 && (deps.get(scc[0]!) ?? []).includes(scc[0]!);
        if (scc.length > 1 || selfLoop) sccs.push(scc);
      }
    }
  }
  return sccs.map((scc) => cyclePath(scc, deps, order)).sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** A concrete cycle through the component, from its earliest-defined member back to it (BFS, so shortest). */
function cyclePath(
  scc: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
  order: ReadonlyMap<string, number>,
): string[] {
  const members = new Set(scc);
  const start = [...scc].sort((a, b) => order.get(a)! - order.get(b)!)[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i]!;
    for (const w of deps.get(n) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let c: string | undefined = n; c !== undefined && c !== start; c = parent.get(c))
          path.splice(1, 0, c);
        path.push(start);
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, n);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/**
 * Kahn's algorithm with ties broken by position in `nodes`, so the order is deterministic.
 * Nodes on (or behind) a cycle are left out. `deps.get(n)` lists what `n` reads.
 */
export function topologicalOrder(
  nodes: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): string[] {
  const position = new Map(nodes.map((n, i) => [n, i]));
  const remaining = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const n of nodes) {
    const ds = [...new Set(deps.get(n) ?? [])].filter((d) => position.has(d));
    remaining.set(n, ds.length);
    for (const d of ds) {
      const list = readers.get(d) ?? [];
      list.push(n);
      readers.set(d, list);
    }
  }
  // A binary heap of positions keeps this O(n log n) for large pipelines.
  const heap: number[] = [];
  const push = (p: number) => {
    heap.push(p);
    for (let i = heap.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (heap[up]! <= heap[i]!) break;
      [heap[up], heap[i]] = [heap[i]!, heap[up]!];
      i = up;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]! < heap[m]!) m = l;
        if (r < heap.length && heap[r]! < heap[m]!) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  };
  nodes.forEach((n, i) => {
    if (remaining.get(n) === 0) push(i);
  });
  const out: string[] = [];
  while (heap.length > 0) {
    const n = nodes[pop()]!;
    out.push(n);
    for (const r of readers.get(n) ?? []) {
      const left = remaining.get(r)! - 1;
      remaining.set(r, left);
      if (left === 0) push(position.get(r)!);
    }
  }
  return out;
}
