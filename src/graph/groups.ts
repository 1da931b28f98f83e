// The dashboard's graph with its sweeps folded: the configs of one family (a sweep's results,
// `model~lr=0.1` and `model~lr=0.01`, or numbered configs, model0 ... model1999) drawn as one
// box that tells how many of them are in each state, opened on request. Pure: the browser
// bundle and the tests both load this file.

/** A config of the graph as /api/graph sends it. */
export interface GraphNode {
  name: string;
  state: string | null;
  stale: string[];
  sources: string[];
  result: string | null;
}

/** A box of the folded graph: one config, or a family of them. */
export type Box =
  | { kind: 'config'; id: string; node: GraphNode }
  | { kind: 'family'; id: string; family: string; members: GraphNode[]; states: Record<string, number> };

/** The family of a config: its name without a sweep's suffix (`~...`) or trailing digits. */
export function familyOf(name: string): string {
  const base = name.split('~')[0] ?? name;
  return base.replace(/\d+$/, '') || base;
}

/**
 * The state a box shows for one config: a done result built on something that changed is
 * "stale"; a failed, interrupted or running one shows that (its staleness matters less); none
 * is "missing".
 */
export function stateOf(node: GraphNode): string {
  return node.state === 'done' && node.stale.length ? 'stale' : (node.state ?? 'missing');
}

/**
 * Folds every family of at least `min` configs into one box, except the families in `open`;
 * edges between boxes are kept once each. A family's box id is `family:<name>`.
 */
export function foldGraph(
  nodes: readonly GraphNode[],
  edges: readonly { from: string; to: string }[],
  open: ReadonlySet<string>,
  min = 6,
): { boxes: Box[]; edges: { from: string; to: string }[]; boxOf: Map<string, string> } {
  const families = new Map<string, GraphNode[]>();
  for (const n of nodes) {
    const f = familyOf(n.name);
    const list = families.get(f);
    if (list) list.push(n);
    else families.set(f, [n]);
  }
  const boxes: Box[] = [];
  const boxOf = new Map<string, string>();
  for (const [family, members] of families) {
    if (members.length < min || open.has(family)) {
      for (const node of members) {
        boxes.push({ kind: 'config', id: node.name, node });
        boxOf.set(node.name, node.name);
      }
      continue;
    }
    const id = `family:${family}`;
    const states: Record<string, number> = {};
    for (const m of members) {
      const s = stateOf(m);
      states[s] = (states[s] ?? 0) + 1;
      boxOf.set(m.name, id);
    }
    boxes.push({ kind: 'family', id, family, members, states });
  }
  const seen = new Set<string>();
  const folded: { from: string; to: string }[] = [];
  for (const e of edges) {
    const from = boxOf.get(e.from);
    const to = boxOf.get(e.to);
    if (!from || !to || from === to) continue;
    const key = `${from}\0${to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    folded.push({ from, to });
  }
  return { boxes, edges: folded, boxOf };
}
