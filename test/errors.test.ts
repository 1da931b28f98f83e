import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderErrorDocs } from '../src/cli/docs.ts';
import { ERROR_CODES, ReproError, UsageError } from '../src/errors.ts';
import { REPO } from './helpers.ts';

describe('one error registry', () => {
  it('declares every code once, each used by the code and documented', () => {
    const src = readFileSync(join(REPO, 'src', 'errors.ts'), 'utf8');
    const codes = Object.keys(ERROR_CODES);
    expect(codes.length).toBeGreaterThan(40);
    // every declared code is thrown somewhere: no dead codes in the docs
    const used = execFileSync('git', ['grep', '--untracked', '-ohE', "'REPRO_[A-Z_]+'", '--', 'src'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    const thrown = new Set(used.split('\n').map((l) => l.replace(/'/g, '')));
    for (const code of codes) expect(thrown.has(code) || src.includes(`super('${code}'`), code).toBe(true);
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      expect(e.means, code).toMatch(/^[a-z"'`].{10,}/);
      expect(e.hint, code).toMatch(/\.$/);
    }
  });

  it('gives each error its declared hint and exit code unless it says more', () => {
    const plain = new ReproError('REPRO_NO_DB', 'no database given');
    expect(plain).toMatchObject({ code: 'REPRO_NO_DB', hint: ERROR_CODES.REPRO_NO_DB.hint, exitCode: 1 });
    expect(new ReproError('REPRO_NO_DB', 'x', 'a sharper hint.').hint).toBe('a sharper hint.');
    expect(new UsageError('bad').exitCode).toBe(2);
  });

  it('keeps docs/errors.md generated from the registry (npm run docs rewrites it)', () => {
    const docs = readFileSync(join(REPO, 'docs', 'errors.md'), 'utf8');
    expect(docs === renderErrorDocs(ERROR_CODES), 'docs/errors.md is stale: run npm run docs').toBe(true);
  });
});

describe('optional dependencies', () => {
  it('names the install command when an optional package is absent', async () => {
    const { importOptional } = await import('../src/_optional.ts');
    await expect(
      importOptional(
        'repro-no-such-package',
        'this feature',
        () => import('repro-no-such-package' as string),
      ),
    ).rejects.toMatchObject({
      code: 'REPRO_MISSING_DEPENDENCY',
      message: 'this feature needs the package repro-no-such-package, which is not installed',
      hint: 'Install it next to repro: npm install repro-no-such-package',
    });
    // an installed one loads as usual
    expect(typeof (await importOptional('pg', 'the store', () => import('pg'))).default.Pool).toBe(
      'function',
    );
  });
});
