import { fs } from './_builtins.ts';

// set by scripts/build.mjs; absent when the sources run directly (tests)
declare const __REPRO_VERSION__: string | undefined;

let version: string | undefined;

/** repro's own version. */
export function reproVersion(): string {
  if (version === undefined) {
    try {
      version =
        typeof __REPRO_VERSION__ === 'string'
          ? __REPRO_VERSION__
          : (
              JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
                version: string;
              }
            ).version;
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
