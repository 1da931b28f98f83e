import { relative, resolve } from '../_builtins.ts';
import { parseRunArgs } from '../config/argv.ts';
import { UsageError } from '../errors.ts';
import { beginRun } from '../run/begin.ts';
import { prepareRun } from '../run/folder.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'begin',
  summary: 'make the result folder for a script that starts itself (the Python module uses it)',
  api: ['startRun'],
  description: `What startRun() does before a TypeScript script's work begins, for a script in any other language that is run by hand rather than by repro run: parses the script's own arguments after -- (-c/--config, --conf, --set, --postfix, exactly as startRun does), makes every check, creates the result folder with config.json and run.json (recording the script, its interpreter and the process that runs it), and prints what the script needs as one JSON object: dir, name, config_name, config (the merged config), id, started_at. Nothing else is written: the script appends its metrics and files, and creates end.json (and effective.json) when it ends; run.json names its process (--pid), so repro tells a live run from a crashed one.

The bundled Python module calls it from repro.start_run() when the script was not started by repro run; a script in another language can do the same. Warnings (flatness, a stale upstream, a key no earlier run read) go to stderr; an error exits 1 with nothing made.`,
  options: {
    script: {
      type: 'string',
      value: 'FILE',
      description: 'the script that runs (recorded with its SHA-256)',
    },
    interpreter: {
      type: 'string',
      value: 'PATH',
      description: 'the interpreter that runs it (its version and packages are recorded)',
    },
    pid: { type: 'integer', description: 'the process that runs the script (default: the caller of repro)' },
    strict: {
      type: 'boolean',
      description:
        'a key that no earlier run of the script read and that is close to one it read is an error',
    },
  },
  passThrough: true,
  examples: [
    'repro begin --script train.py --interpreter "$(command -v python3)" --pid $$ -- -c configs/model.json',
  ],
  async run({ options, command }, ctx) {
    const args = parseRunArgs(command ?? []);
    if (!args.config)
      throw new UsageError(
        'no config given',
        'Pass the config file after --: repro begin ... -- -c configs/model.json',
      );
    const prepared = prepareRun({
      config: args.config,
      overrides: args.overrides,
      postfix: args.postfix,
      cwd: ctx.cwd,
    });
    const file = options.script ? resolve(ctx.cwd, options.script) : null;
    const interpreter = options.interpreter ? [options.interpreter] : [];
    const begun = await beginRun(prepared, {
      inputs: {
        mode: 'api',
        argv: [...interpreter, ...(options.script ? [options.script] : []), ...(command ?? [])],
        command: null,
        script: file
          ? {
              file,
              path: relative(prepared.project.root, file),
              interpreter,
              command: [],
              versionOf: options.interpreter ?? null,
            }
          : null,
        env: ctx.env,
        pid: options.pid ?? process.ppid,
      },
      strict: options.strict || undefined,
      warn: warnTo(ctx),
    });
    try {
      await begun.record.done;
    } finally {
      begun.folder.close();
    }
    print(
      ctx,
      JSON.stringify({
        dir: begun.folder.dir,
        name: prepared.name,
        config_name: prepared.loaded.name,
        config: prepared.config,
        id: begun.id,
        started_at: begun.startedAt.toISOString(),
        project_root: prepared.project.root,
        runs_root: prepared.project.runsRoot,
      }),
    );
    return 0;
  },
});
