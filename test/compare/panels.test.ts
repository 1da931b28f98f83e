import { describe, expect, it } from 'vitest';
import { groupRuns, meanBand, metricPanels, runColors, splitOf } from '../../src/compare/panels.ts';
import { COLORS } from '../../src/plot/svg.ts';

describe('metric panels', () => {
  it('reads the split from a prefix or a suffix, with _ / . or - between', () => {
    expect(splitOf('val_loss')).toEqual({ quantity: 'loss', split: 'val' });
    expect(splitOf('train/acc')).toEqual({ quantity: 'acc', split: 'train' });
    expect(splitOf('loss_test')).toEqual({ quantity: 'loss', split: 'test' });
    expect(splitOf('Validation.f1')).toEqual({ quantity: 'f1', split: 'validation' });
    expect(splitOf('loss')).toEqual({ quantity: 'loss', split: null });
    // a word that only starts like a split is a quantity
    expect(splitOf('trainable_params')).toEqual({ quantity: 'trainable_params', split: null });
    expect(splitOf('testing')).toEqual({ quantity: 'testing', split: null });
  });

  it('groups train, validation and test of one quantity, in first-seen order', () => {
    expect(metricPanels(['val_loss', 'lr', 'loss', 'train_acc', 'test/loss', 'acc_val'])).toEqual([
      { quantity: 'loss', metrics: ['loss', 'val_loss', 'test/loss'] },
      { quantity: 'lr', metrics: ['lr'] },
      { quantity: 'acc', metrics: ['train_acc', 'acc_val'] },
    ]);
  });
});

describe('run colours', () => {
  it('gives a run the same colour in any list, and distinct colours within a list', () => {
    const alone = runColors(['model~lr=0.1'], COLORS)[0];
    const names = Array.from({ length: 8 }, (_, i) => `model~lr=0.${i}`);
    const colors = runColors(['model~lr=0.1', ...names.filter((n) => n !== 'model~lr=0.1')], COLORS);
    expect(colors[0]).toBe(alone);
    expect(new Set(colors).size).toBe(colors.length);
    // more runs than colours: every colour is used, then they repeat
    const many = runColors(
      Array.from({ length: 13 }, (_, i) => `r${i}`),
      COLORS,
    );
    expect(new Set(many).size).toBe(COLORS.length);
  });
});

describe('groups of runs', () => {
  const rows = [
    { name: 'a', values: { lr: { value: 0.1 }, seed: { value: 1 } } },
    { name: 'b', values: { lr: { value: 0.1 }, seed: { value: 2 } } },
    { name: 'c', values: { lr: { value: 0.01 }, seed: { value: 1 } } },
    { name: 'd', values: { seed: { value: 3 } } },
  ];
  it('groups by a key, or by every key but one (seeds)', () => {
    expect([...groupRuns(rows, ['lr', 'seed'], 'seed').values()]).toEqual([
      'seed=1',
      'seed=2',
      'seed=1',
      'seed=3',
    ]);
    expect([...groupRuns(rows, ['lr', 'seed'], '-seed').values()]).toEqual([
      'lr=0.1',
      'lr=0.1',
      'lr=0.01',
      'lr=absent',
    ]);
    expect([...groupRuns(rows, ['seed'], '-seed').values()]).toEqual([
      'every run',
      'every run',
      'every run',
      'every run',
    ]);
  });

  it('draws the mean and spread of lines read at every x, a short line only over its range', () => {
    const band = meanBand([
      { x: [0, 2, 4], y: [0, 2, 4] },
      { x: [0, 1, 2], y: [2, 2, 2] },
    ]);
    expect(band.x).toEqual([0, 1, 2, 4]);
    expect(band.y).toEqual([1, 1.5, 2, 4]); // x=1: the first line interpolated to 1
    expect(band.lo).toEqual([0, 1, 2, 4]);
    expect(band.hi).toEqual([2, 2, 2, 4]);
    expect(band.n).toEqual([2, 2, 2, 1]);
  });
});
