import { fs } from './_builtins.ts';

let version: string | undefined;

/** repro's own version, from its package.json (one level above both src/ and dist/). */
export function reproVersion(): string {
  if (version === undefined) {
    try {
      version = (
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
