// Writes docs/cli.md and docs/errors.md from the declarations: npm run docs
import { writeFileSync } from 'node:fs';
import { renderCliDocs, renderErrorDocs } from '../src/cli/docs.ts';
import { loadCommands } from '../src/cli/main.ts';
import { ERROR_CODES } from '../src/errors.ts';

writeFileSync(new URL('../docs/cli.md', import.meta.url), renderCliDocs(await loadCommands()));
writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs(ERROR_CODES));
console.log('wrote docs/cli.md and docs/errors.md');
