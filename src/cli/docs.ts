import { helpText } from './help.ts';
import type { CommandSpec } from './spec.ts';

const INTRO = `# The \`repro\` command line

<!-- Generated from the command declarations in src/cli/*.ts by \`npm run docs\`; a test fails
when it is stale. Edit the declarations, not this file. -->

Every command prints this help with \`repro <command> --help\`. Errors print \`error: <what>\` and
\`hint: <what to do>\` on stderr and exit non-zero (2 for a usage mistake: an unknown command or
option, with the closest one named); \`--debug\`, before or after the command, adds the stack
trace. Each command is also a library function (named beside it) that tests and other tools call
in-process, and the command itself runs in-process with \`main(argv, { cwd, stdout, stderr, env })\`
from \`src/cli/main.ts\`.

## Targets

\`make\`, \`status\`, \`graph\`, \`verify\`, \`rm\`, \`ls\`, \`plot\`, \`diff\`, \`tree\` and \`queue push\` take
the same targets, resolved by one function (\`resolveTargets\` in \`src/graph/targets.ts\`):

- a config or result name: \`model\`, \`model~lr=0.1\`;
- a glob over names, quoted so the shell leaves it alone: \`'model*'\`, \`'model~lr=*'\`;
- a config file or a glob over config files: \`configs/model.json\`, \`configs/model*.json\`;
- a result folder or a glob over them: \`runs/model\`, \`runs/model*\`.

Globs never match the attic (\`runs/.attic\`) or verify's hidden reruns; \`diff\`, \`plot\` and
\`verify\` take an attic result by its path, and \`ls --attic\` filters the attic by name or glob.
A target that matches nothing is an error that names the closest names.
`;

/** docs/cli.md: the intro, then each command's help as \`repro <name> --help\` prints it. */
export function renderCliDocs(specs: readonly CommandSpec[]): string {
  const index = specs.map((s) => `- [\`repro ${s.name}\`](#repro-${s.name}): ${s.summary}`).join('\n');
  const sections = specs.map((s) => {
    const api = s.api?.length ? ` (${s.api.map((a) => `\`${a}\``).join(', ')})` : '';
    return `## repro ${s.name}\n\n${s.summary}${api}.\n\n\`\`\`\n${helpText(s).trimEnd()}\n\`\`\`\n`;
  });
  return `${INTRO}\n${index}\n\n${sections.join('\n')}`;
}

/** docs/errors.md: every error code, what it means, what to do, and the exit code. */
export function renderErrorDocs(
  codes: Readonly<Record<string, { means: string; hint: string; exit?: number }>>,
): string {
  const rows = Object.entries(codes).map(
    ([code, e]) => `| \`${code}\` | ${e.means} | ${e.hint.replace(/\|/g, '\\|')} | ${e.exit ?? 1} |`,
  );
  return `# Errors

<!-- Generated from ERROR_CODES in src/errors.ts by \`npm run docs\`; a test fails when it is stale. -->

Every failure repro reports on purpose is a \`ReproError\` with one of these codes. The CLI prints
\`error: <message>\` (what went wrong, with the file, key, line and column where they apply) and
\`hint: <what to do>\` (often sharper than the general hint below, with the names at hand), and
exits with the code in the last column; \`--debug\` adds the stack trace. The library throws the
error; \`error.code\`, \`error.hint\` and \`error.exitCode\` are stable.

| code | means | what to do | exit |
| --- | --- | --- | --- |
${rows.join('\n')}
`;
}
