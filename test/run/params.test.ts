import { describe, expect, expectTypeOf, it } from 'vitest';
import { Params } from '../../src/run/params.ts';

describe('Params', () => {
  it('returns the config value, or the default when the key is absent (rule 1)', () => {
    const old = new Params({ lr: 0.1 }, 'model');
    const fresh = new Params({ lr: 0.1, filters: 10 }, 'modela');
    expect(old.get('filters', 5)).toBe(5);
    expect(fresh.get('filters', 5)).toBe(10);
  });

  it('is typed by the default', () => {
    const p = new Params({ n: 3, name: 'x', on: true }, 'm');
    expectTypeOf(p.get('n', 5)).toEqualTypeOf<number>();
    expectTypeOf(p.get('name', 'a')).toEqualTypeOf<string>();
    expectTypeOf(p.get('on', false)).toEqualTypeOf<boolean>();
    expect(p.get('n', 5) + 1).toBe(4);
  });

  it('refuses a config value of another type than the default', () => {
    const p = new Params({ filters: '10', sizes: 3 }, 'model');
    expect(() => p.get('filters', 5)).toThrow(
      expect.objectContaining({
        code: 'REPRO_PARAM_TYPE',
        message: expect.stringContaining('"filters" is a string'),
      }),
    );
    expect(() => p.get('sizes', [1, 2])).toThrow(/is a number, but the script's default is an array/);
    expect(p.get('filters', null)).toBe('10');
  });

  it('require() fails clearly on a missing key, with the closest key', () => {
    const p = new Params({ learning_rate: 0.1 }, 'model');
    expect(p.require('learning_rate')).toBe(0.1);
    expect(() => p.require('learning_rat')).toThrow(
      expect.objectContaining({
        code: 'REPRO_PARAM_MISSING',
        message: expect.stringContaining('did you mean "learning_rate"'),
      }),
    );
  });

  it('records every value used and which came from defaults', () => {
    const p = new Params({ lr: 0.1, script: 'train.ts', source: 'data' }, 'model');
    p.get('lr', 1);
    p.get('filters', 5);
    expect(p.effective()).toEqual({ values: { filters: 5, lr: 0.1 }, defaults: { filters: 5 }, unread: [] });
  });

  it('reports keys never read, with the closest key read and its default (typo guard)', () => {
    const p = new Params({ moynoviyparametr: 12, lr: 0.1, unrelated_thing: 1 }, 'model');
    p.get('moynoviyporametr', 10);
    p.get('lr', 1);
    const { unread } = p.effective();
    expect(unread).toEqual([
      {
        key: 'moynoviyparametr',
        closest: 'moynoviyporametr',
        message: '"moynoviyparametr" was never read; did you mean "moynoviyporametr", which defaulted to 10?',
      },
      { key: 'unrelated_thing', closest: null, message: '"unrelated_thing" was never read' },
    ]);
  });
});

describe('formatTick', () => {
  it('keeps axis labels short: large and tiny numbers in exponent form', async () => {
    const { formatTick } = await import('../../src/run/format.ts');
    expect(formatTick(3.7e10)).toBe('3.7e+10');
    expect(formatTick(0.00012)).toBe('1.2e-4');
    expect(formatTick(0.5)).toBe('0.5');
    expect(formatTick(12345.678)).toBe('12350');
    expect(formatTick(0)).toBe('0');
    expect(formatTick(null)).toBe('');
  });
});
