import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeKey, type LayeredLayout, layeredLayout } from '../../src/server/layered-layout.ts';

const OPTIONS = { nodeSep: 20, rankSep: 60, marginX: 10, marginY: 10 };
const node = (id: string, height = 80) => ({ id, width: 200, height });

/** No two nodes of the same column overlap (with the node gap between them). */
function assertNoOverlap(laid: LayeredLayout, heights: ReadonlyMap<string, number>): void {
  const byX = new Map<number, { id: string; y: number }[]>();
  for (const [id, p] of laid.nodes) byX.set(p.x, [...(byX.get(p.x) ?? []), { id, y: p.y }]);
  for (const column of byX.values()) {
    column.sort((a, b) => a.y - b.y);
    for (let i = 1; i < column.length; i++) {
      const a = column[i - 1]!;
      const b = column[i]!;
      const need = (heights.get(a.id)! + heights.get(b.id)!) / 2 + OPTIONS.nodeSep;
      assert.ok(b.y - a.y >= need - 1e-6, `${a.id} and ${b.id} overlap (${b.y - a.y} < ${need})`);
    }
  }
}

test('every edge points right, nodes of a rank never overlap, the layout fits its size', () => {
  // Three sources feed a chain each; the chains meet in fan-in views, one of which skips ranks.
  const nodes = [node('src_a', 40), node('src_b', 40), node('src_c', 40)];
  const edges: { from: string; to: string }[] = [];
  for (const s of ['a', 'b', 'c']) {
    nodes.push(node(`${s}1`), node(`${s}2`), node(`${s}3`));
    edges.push(
      { from: `src_${s}`, to: `${s}1` },
      { from: `${s}1`, to: `${s}2` },
      { from: `${s}2`, to: `${s}3` },
    );
  }
  nodes.push(node('ab'), node('bc_early'));
  edges.push({ from: 'a3', to: 'ab' }, { from: 'b3', to: 'ab' }, { from: 'b1', to: 'bc_early' });
  edges.push({ from: 'c3', to: 'bc_early' });
  const laid = layeredLayout(nodes, edges, OPTIONS);
  assert.equal(laid.nodes.size, nodes.length);
  for (const e of edges)
    assert.ok(laid.nodes.get(e.from)!.x < laid.nodes.get(e.to)!.x, `${e.from} → ${e.to}`);
  assertNoOverlap(laid, new Map(nodes.map((n) => [n.id, n.height])));
  for (const n of nodes) {
    const p = laid.nodes.get(n.id)!;
    assert.ok(p.x - n.width / 2 >= OPTIONS.marginX - 1e-6 && p.x + n.width / 2 <= laid.width + 1e-6, n.id);
    assert.ok(p.y - n.height / 2 >= OPTIONS.marginY - 1e-6 && p.y + n.height / 2 <= laid.height + 1e-6, n.id);
  }
  // b1 → bc_early skips ranks: it bends through one point per rank between, left to right.
  const bends = laid.bends.get(edgeKey('b1', 'bc_early'))!;
  assert.equal(bends.length, 2);
  assert.ok(laid.nodes.get('b1')!.x < bends[0]!.x && bends[0]!.x < bends[1]!.x);
  assert.ok(bends[1]!.x < laid.nodes.get('bc_early')!.x);
  assert.deepEqual(laid.bends.get(edgeKey('a1', 'a2')), []);
  // Deterministic.
  assert.deepEqual(layeredLayout(nodes, edges, OPTIONS), laid);
});

test('a chain is drawn level, and a fan-out is centered on its input', () => {
  const laid = layeredLayout(
    [node('src', 40), node('a'), node('b'), node('c1'), node('c2')],
    [
      { from: 'src', to: 'a' },
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c1' },
      { from: 'b', to: 'c2' },
    ],
    OPTIONS,
  );
  const y = (id: string) => laid.nodes.get(id)!.y;
  assert.equal(y('src'), y('a'));
  assert.equal(y('a'), y('b'));
  assert.ok(Math.abs((y('c1') + y('c2')) / 2 - y('b')) < 1e-6);
  assert.equal(Math.abs(y('c1') - y('c2')), 80 + OPTIONS.nodeSep);
});

test('the order of a rank avoids crossings a better order removes', () => {
  // x1 feeds y2 and x2 feeds y1: listing y1 first in input order would cross the two edges.
  const laid = layeredLayout(
    [node('x1'), node('x2'), node('y1'), node('y2')],
    [
      { from: 'x1', to: 'y2' },
      { from: 'x2', to: 'y1' },
    ],
    OPTIONS,
  );
  const y = (id: string) => laid.nodes.get(id)!.y;
  assert.equal(Math.sign(y('x1') - y('x2')), Math.sign(y('y2') - y('y1')));
});

test('a cycle (an invalid pipeline) is laid out with one edge reversed; self loops and unknown nodes are ignored', () => {
  const laid = layeredLayout(
    [node('a'), node('b'), node('c')],
    [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
      { from: 'c', to: 'c' },
      { from: 'c', to: 'nowhere' },
    ],
    OPTIONS,
  );
  const x = (id: string) => laid.nodes.get(id)!.x;
  assert.ok(x('a') < x('b') && x('b') < x('c'));
  assert.ok(laid.bends.has(edgeKey('c', 'a')));
  assert.ok(!laid.bends.has(edgeKey('c', 'nowhere')));
  assertNoOverlap(laid, new Map([...laid.nodes.keys()].map((id) => [id, 80])));
});

test('an empty graph has only its margins', () => {
  const laid = layeredLayout([], [], OPTIONS);
  assert.equal(laid.nodes.size, 0);
  assert.equal(laid.width, 2 * OPTIONS.marginX);
  assert.equal(laid.height, 2 * OPTIONS.marginY);
});
