import { describe, expect, it } from 'vitest';
import { familyOf, foldGraph, type GraphNode, stateOf } from '../../src/graph/groups.ts';

const node = (name: string, sources: string[] = [], state: string | null = 'done'): GraphNode => ({
  name,
  state,
  stale: [],
  sources,
  result: state ? name : null,
});

describe('the folded graph', () => {
  it('calls a done result on changed inputs stale, and an interrupted one interrupted', () => {
    expect(stateOf({ ...node('a'), stale: ['data changed'] })).toBe('stale');
    expect(stateOf({ ...node('a', [], 'interrupted'), stale: ['data changed'] })).toBe('interrupted');
    expect(stateOf(node('a', [], null))).toBe('missing');
  });

  it('names a family by the config without its sweep suffix or trailing digits', () => {
    expect(familyOf('model~lr=0.1,epochs=2')).toBe('model');
    expect(familyOf('model12')).toBe('model');
    expect(familyOf('resnet50~seed=1')).toBe('resnet');
    expect(familyOf('42')).toBe('42');
  });

  it('folds a big family into one box with its states, keeps small ones, and opens on request', () => {
    const sweep = Array.from({ length: 8 }, (_, i) =>
      node(`model~lr=${i}`, ['data'], i < 6 ? 'done' : 'failed'),
    );
    const evals = Array.from({ length: 8 }, (_, i) => node(`eval${i}`, [`model~lr=${i}`], null));
    const nodes = [node('data'), ...sweep, ...evals];
    const edges = nodes.flatMap((n) => n.sources.map((s) => ({ from: s, to: n.name })));
    const folded = foldGraph(nodes, edges, new Set());
    expect(folded.boxes.map((b) => b.id)).toEqual(['data', 'family:model', 'family:eval']);
    const model = folded.boxes[1];
    expect(model?.kind === 'family' && model.states).toEqual({ done: 6, failed: 2 });
    // 16 edges become two, each once
    expect(folded.edges).toEqual([
      { from: 'data', to: 'family:model' },
      { from: 'family:model', to: 'family:eval' },
    ]);
    const opened = foldGraph(nodes, edges, new Set(['model']));
    expect(opened.boxes.filter((b) => b.kind === 'config')).toHaveLength(9);
    expect(opened.edges).toHaveLength(8 + 8);
    expect(opened.edges).toContainEqual({ from: 'model~lr=3', to: 'family:eval' });
  });
});
