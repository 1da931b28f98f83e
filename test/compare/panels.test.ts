import { describe, expect, it } from 'vitest';
import { metricPanels, runColors, splitOf } from '../../src/compare/panels.ts';
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
