import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../src/config/argv.ts';
import { applyOverrides, mergeConfig, parseOverride, parseSetValue } from '../../src/config/overrides.ts';

describe('overrides', () => {
  it('applies --conf and --set in the order given', () => {
    const args = parseRunArgs([
      '-c',
      'x.json',
      '--set',
      'lr=1',
      '--conf',
      '{"lr": 2, "a": 1}',
      '--set',
      'a=3',
    ]);
    expect(args.overrides.map((o) => o.kind)).toEqual(['set', 'conf', 'set']);
    const { config } = applyOverrides({ lr: 0, b: true }, args.overrides);
    expect(config).toEqual({ lr: 2, a: 3, b: true });
  });

  it('never mutates the configs it merges', () => {
    const base = { a: { x: 1 }, b: [1] };
    const patch = { a: { y: 2 } };
    const merged = mergeConfig(base, patch);
    expect(merged).toEqual({ a: { x: 1, y: 2 }, b: [1] });
    expect(base).toEqual({ a: { x: 1 }, b: [1] });
    expect(patch).toEqual({ a: { y: 2 } });
  });

  it.each([
    ['0.001', 0.001],
    ['1e-3', 0.001],
    ['true', true],
    ['null', null],
    ['[1,2]', [1, 2]],
    ['"5"', '5'],
    ['adam', 'adam'],
    ['', ''],
    ['a=b', 'a=b'],
  ])('--set value %j parses as %j', (raw, value) => {
    expect(parseSetValue(raw)).toEqual(value);
  });

  it('splits --set at the first "="', () => {
    expect(parseOverride({ kind: 'set', text: 'expr=a=b' }).value).toEqual({ expr: 'a=b' });
  });

  it.each([['lr'], ['=1']])('refuses --set %j without a key and "="', (text) => {
    expect(() => parseOverride({ kind: 'set', text })).toThrow(
      expect.objectContaining({ code: 'REPRO_OVERRIDE_INVALID' }),
    );
  });

  it('points at the column of invalid --conf JSON', () => {
    try {
      parseOverride({ kind: 'conf', text: '{"lr": 0.1,}' }, 1);
      throw new Error('expected a failure');
    } catch (error) {
      const e = error as Error & { code: string; hint: string };
      expect(e.code).toBe('REPRO_OVERRIDE_INVALID');
      expect(e.message).toContain('--conf #2 at line 1, column 12');
      expect(e.message).toContain('  1 | {"lr": 0.1,}\n    |            ^');
      expect(e.hint).toContain('--conf takes a JSON object');
    }
  });

  it('refuses --conf that is not an object', () => {
    expect(() => parseOverride({ kind: 'conf', text: '[1]' })).toThrow(
      /must be a JSON object, found an array/,
    );
  });

  it('refuses unknown options instead of ignoring them', () => {
    expect(() => parseRunArgs(['--postifx', 'x'])).toThrow(expect.objectContaining({ code: 'REPRO_USAGE' }));
  });
});
