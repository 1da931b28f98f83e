import { describe, expect, it } from 'vitest';
import { resultName } from '../../src/config/postfix.ts';

const base = { lr: 0.1, filters: 5, opt: 'adam' };

describe('resultName', () => {
  it('is the config name when nothing changed', () => {
    expect(resultName('model', base, { ...base })).toBe('model');
    expect(resultName('model', base, { filters: 5, opt: 'adam', lr: 0.1 })).toBe('model');
  });

  it('spells short, safe changes out, keys sorted', () => {
    expect(resultName('model', base, { ...base, lr: 1e-3 })).toBe('model~lr=0.001');
    expect(resultName('model', base, { ...base, opt: 'sgd', filters: 10 })).toBe('model~filters=10,opt=sgd');
    expect(resultName('model', base, { ...base, extra: true })).toBe('model~extra=true');
  });

  it('falls back to a hash for long or unsafe values, deterministically', () => {
    const a = resultName('model', base, { ...base, opt: 'a b/c' });
    expect(a).toMatch(/^model~h[0-9a-f]{10}$/);
    expect(resultName('model', base, { ...base, opt: 'a b/c' })).toBe(a);
    expect(resultName('model', base, { ...base, opt: 'a b/d' })).not.toBe(a);
    expect(resultName('model', base, { ...base, opt: 'x'.repeat(80) })).toMatch(/^model~h/);
    // a string that reads as a number would be ambiguous with the number
    expect(resultName('model', base, { ...base, opt: '1' })).toMatch(/^model~h/);
    expect(resultName('model', base, { ...base, opt: { nested: 1 } })).toMatch(/^model~h/);
  });

  it('uses an explicit postfix as given', () => {
    expect(resultName('model', base, { ...base, lr: 2 }, 'seed2')).toBe('model~seed2');
    expect(() => resultName('model', base, base, '../x')).toThrow(
      expect.objectContaining({ code: 'REPRO_USAGE' }),
    );
  });
});
