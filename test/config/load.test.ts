import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configNameOf, isValidName, loadConfig } from '../../src/config/load.ts';
import { ReproError } from '../../src/errors.ts';
import { makeProject, runRepro, writeFiles } from '../helpers.ts';

function loadError(text: string | undefined, file = 'configs/model.json'): ReproError {
  const root = makeProject(text === undefined ? {} : { [file]: text });
  try {
    loadConfig(file, { cwd: root });
  } catch (error) {
    expect(error).toBeInstanceOf(ReproError);
    return error as ReproError;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('loads a flat config and names it after the file', () => {
    const root = makeProject({ 'configs/model.json': '{"lr": 0.001, "filters": 5}' });
    const loaded = loadConfig('configs/model.json', { cwd: root });
    expect(loaded.name).toBe('model');
    expect(loaded.config).toEqual({ lr: 0.001, filters: 5 });
    expect(loaded.file).toBe(join(root, 'configs/model.json'));
    expect(loaded.warnings).toEqual([]);
  });

  it('accepts a byte order mark', () => {
    const root = makeProject({ 'c.json': '\ufeff{"a": 1}' });
    expect(loadConfig('c.json', { cwd: root }).config).toEqual({ a: 1 });
  });

  it.each([
    ['trailing comma', '{\n  "lr": 0.1,\n}', 3, 1, 'expected a double-quoted key'],
    ['missing comma', '{\n  "lr": 0.1\n  "filters": 5\n}', 3, 3, 'expected ","'],
    ['single quotes', "{'lr': 1}", 1, 2, 'unexpected character'],
    ['comment', '{\n  // lr\n  "lr": 1\n}', 2, 3, 'comments are not allowed'],
    ['unterminated string', '{"lr": "abc}', 1, 8, 'unterminated string'],
    ['empty file', '', 1, 1, 'the file is empty'],
    ['garbage after value', '{"a": 1} x', 1, 10, 'unexpected character'],
  ])('reports invalid JSON (%s) with line, column and a caret', (_name, text, line, column, reason) => {
    const error = loadError(text);
    expect(error.code).toBe('REPRO_CONFIG_INVALID_JSON');
    expect(error.message).toContain(`configs/model.json at line ${line}, column ${column}`);
    expect(error.message).toContain(reason);
    const lines = error.message.split('\n');
    const caret = lines[lines.length - 1] as string;
    const source = lines[lines.length - 2] as string;
    // the caret sits under the reported column of the quoted line
    expect(source.startsWith(`  ${line} | `)).toBe(true);
    expect(caret.indexOf('^') - caret.indexOf('|')).toBe(column + 1);
    expect(error.hint).toMatch(/strict JSON/);
  });

  it.each([
    ['an array', '[1, 2]'],
    ['a number', '42'],
    ['a string', '"lr"'],
    ['null', 'null'],
  ])('refuses a top level that is %s', (found, text) => {
    const error = loadError(text);
    expect(error.code).toBe('REPRO_CONFIG_NOT_OBJECT');
    expect(error.message).toContain(`found ${found}`);
  });

  it('names a missing file', () => {
    const error = loadError(undefined);
    expect(error.code).toBe('REPRO_CONFIG_NOT_FOUND');
    expect(error.message).toContain('configs/model.json');
  });

  it('says when the path is a folder', () => {
    const root = makeProject();
    mkdirSync(join(root, 'configs', 'dir.json'), { recursive: true });
    expect(() => loadConfig('configs/dir.json', { cwd: root })).toThrow(/it is a folder/);
  });

  it('says when the file cannot be read (a path through a file)', () => {
    const root = makeProject({ 'c.json': '{}' });
    // ENOTDIR; a chmod 000 file would not do here, since tests may run as root, who reads anything
    expect(() => loadConfig('c.json/x.json', { cwd: root })).toThrow(
      expect.objectContaining({ code: 'REPRO_CONFIG_UNREADABLE' }),
    );
  });

  it('warns about nested values with the flat spelling, and keeps them', () => {
    const root = makeProject({
      'c.json': '{"loss": {"l1": 1, "l2": 0}, "layers": [{"n": 4}], "sizes": [1, 2]}',
    });
    const loaded = loadConfig('c.json', { cwd: root });
    expect(loaded.config.loss).toEqual({ l1: 1, l2: 0 });
    const messages = loaded.warnings.map((w) => w.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('"loss_l1": 1, "loss_l2": 0');
    expect(messages[0]).toContain('"loss.l1"');
    expect(messages[1]).toContain('"layers_0_n": 4');
  });

  it('warns about a key given twice, with its line', () => {
    const root = makeProject({ 'c.json': '{\n "lr": 1,\n "lr": 2\n}' });
    const loaded = loadConfig('c.json', { cwd: root });
    expect(loaded.config.lr).toBe(2);
    expect(loaded.warnings).toEqual([
      expect.objectContaining({
        kind: 'duplicate-key',
        key: 'lr',
        message: expect.stringContaining('line 3, column 2'),
      }),
    ]);
  });
});

describe('config names', () => {
  it.each(['model', 'model2', 'model_a', 'model-b.v2', '_x', 'Model.1'])('accepts %s', (name) => {
    expect(isValidName(name)).toBe(true);
  });
  it.each(['', '.hidden', '-flag', 'a..b', 'a b', 'a/b', 'mödel', 'a~b'])('refuses "%s"', (name) => {
    expect(isValidName(name)).toBe(false);
  });
  it('refuses a bad file name with REPRO_CONFIG_BAD_NAME', () => {
    const root = makeProject();
    writeFiles(root, { 'configs/my model.json': '{}' });
    expect(() => configNameOf('configs/my model.json')).toThrow(
      expect.objectContaining({ code: 'REPRO_CONFIG_BAD_NAME' }),
    );
    expect(() => loadConfig('configs/my model.json', { cwd: root })).toThrow(/bad config name "my model"/);
  });
});

describe('config limits: refused before anything is written', () => {
  const PY = 'import sys\nprint("ran", sys.argv[-1])\n';
  it.each([
    [
      'a number that overflows',
      '{"script": "s.py", "lr": 1e400}',
      /at line 1, column 26: the number 1e400 overflows/,
    ],
    [
      'an integer beyond 2^53',
      '{"script": "s.py", "id": 18446744073709551615}',
      /the number 18446744073709551615 is an integer beyond 2\^53/,
    ],
    ['a __proto__ key', '{"script": "s.py", "__proto__": {"x": 1}}', /key "__proto__" is not allowed/],
    [
      'a NUL character',
      '{"script": "s.py", "name": "a\\u0000b"}',
      /key "name" has a value with a NUL character/,
    ],
    [
      'deep nesting',
      `{"script": "s.py", "a": ${'['.repeat(1900)}${']'.repeat(1900)}}`,
      /nests deeper than 32 levels/,
    ],
    [
      'an 8 MB string',
      JSON.stringify({ script: 's.py', a: 'x'.repeat(8 * 1024 * 1024) }),
      /is 8\.0 MiB; a config holds at most 4 MiB/,
    ],
  ])('%s', async (_name, text, message) => {
    const root = makeProject({ 's.py': PY });
    mkdirSync(join(root, 'configs'));
    writeFileSync(join(root, 'configs', 'c.json'), text);
    const r = await runRepro(root, ['run', 'configs/c.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('configs/c.json');
    expect(r.stderr).not.toContain('bug in repro');
    expect(existsSync(join(root, 'runs'))).toBe(false);
  });

  it('refuses bytes that are not UTF-8, with the line and column', async () => {
    const root = makeProject({ 's.py': PY });
    mkdirSync(join(root, 'configs'));
    writeFileSync(
      join(root, 'configs', 'c.json'),
      Buffer.concat([
        Buffer.from('{"script": "s.py",\n "name": "caf'),
        Buffer.from([0xe9]),
        Buffer.from('"}'),
      ]),
    );
    const r = await runRepro(root, ['run', 'configs/c.json']);
    expect(r.stderr).toContain('configs/c.json at line 2, column 14: byte 0xe9 at offset 32 is not UTF-8');
    expect(existsSync(join(root, 'runs'))).toBe(false);
  });

  it('refuses --set of __proto__ (which would run another script) and of lossy numbers', async () => {
    const root = makeProject({
      's.py': PY,
      'scripts/evil.py': 'print("evil")\n',
      'configs/c.json': { script: 's.py', lr: 1 },
    });
    const proto = await runRepro(root, [
      'run',
      'configs/c.json',
      '--set',
      '__proto__={"script":"scripts/evil.py"}',
      '--postfix',
      'p',
    ]);
    expect(proto.code).toBe(1);
    expect(proto.stderr).toContain('--set __proto__: key "__proto__" is not allowed');
    expect(proto.stdout).not.toContain('evil');
    expect(existsSync(join(root, 'runs'))).toBe(false);
    const big = await runRepro(root, ['run', 'configs/c.json', '--set', 'lr=1e400']);
    expect(big.stderr).toContain('--set lr at line 1, column 1: the number 1e400 overflows');
    expect(existsSync(join(root, 'runs'))).toBe(false);
    // a folder name longer than a file system allows
    const long = await runRepro(root, ['run', 'configs/c.json', '--postfix', 'x'.repeat(300)]);
    expect(long.stderr).toContain('the result folder name would be');
    expect(long.stderr).toContain('--postfix');
    expect(existsSync(join(root, 'runs'))).toBe(false);
  });
});
