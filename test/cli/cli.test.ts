import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/command.ts';
import { renderCliDocs } from '../../src/cli/docs.ts';
import { helpText } from '../../src/cli/help.ts';
import { COMMANDS, loadCommands } from '../../src/cli/main.ts';
import { type CommandSpec, writeAll } from '../../src/cli/spec.ts';
import { CLI, makeProject, REPO, runCli, runRepro, waitFor, writeFiles } from '../helpers.ts';

const SLEEPER = `import time, sys
print("started", flush=True)
time.sleep(60)
`;

describe('the repro binary', () => {
  it('runs a config and lists it, as a user would', async () => {
    const root = makeProject({
      'hello.sh': 'echo "hello from $REPRO_RUN_NAME"\n',
      'configs/hi.json': { script: 'hello.sh' },
    });
    const r = await runCli(root, ['run', 'configs/hi.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from hi\n');
    expect(r.stderr).toMatch(
      /^repro: runs\/hi <- configs\/hi.json \(hello.sh\)\nrepro: runs\/hi done in [\d.]+ s\n$/,
    );
    const ls = await runCli(root, ['ls']);
    expect(ls.stdout).toMatch(/^name\s+status\s+started\s+duration\nhi\s+done\s/);
    const again = await runCli(root, ['run', 'configs/hi.json', '-q']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'error: runs/hi already exists; results are never overwritten\nhint: Clone the config (a changed config is a new config), or keep both results with --postfix, e.g. repro run configs/hi.json --postfix 2\n',
    );
  });

  it('goes on when the reader of its output goes away (repro run | head): the run ends recorded', async () => {
    const root = makeProject({
      'many.sh': 'for i in $(seq 1 300); do echo "line $i"; sleep 0.005; done\n',
      'configs/many.json': { script: 'many.sh' },
    });
    // a reader that reads one piece and closes the pipe, as head does
    const cut = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((done, fail) => {
        const child = spawn(process.execPath, [CLI, ...args], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (c) => {
          stderr += c;
        });
        child.stdout.once('data', () => child.stdout.destroy());
        child.on('error', fail);
        child.on('close', (code) => done({ code, stderr }));
      });
    const run = await cut(['run', 'configs/many.json']);
    expect(run.stderr).not.toContain('EPIPE');
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'runs/many/end.json'), 'utf8'))).toMatchObject({
      status: 'done',
    });
    expect(readFileSync(join(root, 'runs/many/stdout.log'), 'utf8').split('\n').filter(Boolean)).toHaveLength(
      300,
    );
    // a listing cut short (past its first piece of 1,000 lines): no stack trace, exit 0
    for (let i = 0; i < 1100; i++)
      cpSync(join(root, 'runs/many'), join(root, `runs/many~${i}`), { recursive: true });
    const ls = await cut(['ls', '--no-stale']);
    expect(ls.stderr).not.toContain('EPIPE');
    expect(ls.code).toBe(0);
  });

  it('writes a long output as fast as its reader takes it, never queueing it all (repro ls | less)', async () => {
    // a reader that takes a piece every few milliseconds, as a pipe to a pager does
    const slow = (failAfter = Number.POSITIVE_INFINITY) => {
      let taken = 0;
      let queued = 0;
      let text = '';
      const stream = new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _enc, next) {
          queued = Math.max(queued, stream.writableLength);
          taken++;
          text += chunk.toString();
          setTimeout(() => next(taken > failAfter ? new Error('EPIPE') : undefined), 2);
        },
      });
      stream.on('error', () => {});
      return { stream, taken: () => taken, queued: () => queued, text: () => text };
    };
    const piece = 'x'.repeat(10_000);
    const pieces = function* () {
      for (let i = 0; i < 60; i++) yield `${i}${piece}`;
    };
    const reader = slow();
    await writeAll(reader.stream, pieces());
    await new Promise<void>((done) => reader.stream.end(done));
    expect(reader.text()).toBe([...pieces()].join(''));
    // at most the piece being written: without waiting, all 600 KB would queue
    expect(reader.queued()).toBeLessThanOrEqual(piece.length + 10);
    // a reader that goes away ends the wait: the command goes on (bin.ts drops the rest)
    const gone = slow(5);
    await writeAll(gone.stream, pieces());
    expect(gone.taken()).toBeLessThan(60);
  });

  it('prints errors with a hint, no stack unless --debug, and exits non-zero', async () => {
    const root = makeProject({ 'configs/bad.json': '{"lr": 0.1,}' });
    const r = await runCli(root, ['run', 'configs/bad.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: invalid JSON in configs/bad.json at line 1, column 12');
    expect(r.stderr).toContain('hint: ');
    expect(r.stderr).not.toContain('    at ');
    const debug = await runCli(root, ['run', 'configs/bad.json', '--debug']);
    expect(debug.stderr).toContain('    at ');
    const usage = await runCli(root, ['run', 'configs/bad.json', '--postifx', '1']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("error: unknown option '--postifx' (did you mean --postfix?)");
    expect(existsSync(join(root, 'runs'))).toBe(false);
    // run and begin come from a file of their own (dist/fast.js), every other command from the
    // shared chunks: the same reports either way, and the same as in-process
    for (const args of [
      ['--debug', 'run', 'configs/bad.json'],
      ['begin', '-c', 'configs/bad.json', '--debug'],
      ['diff', 'configs/bad.json', '--debug'],
    ]) {
      const [binary, inProcess] = [await runCli(root, args), await runRepro(root, args)];
      expect(binary.code, args.join(' ')).toBe(inProcess.code);
      const [firstBinary, firstInProcess] = [binary.stderr, inProcess.stderr].map((e) => e.split('\n')[0]);
      expect(firstBinary, args.join(' ')).toBe(firstInProcess);
      expect(binary.stderr, args.join(' ')).toMatch(
        args.includes('diff') ? /dist\/chunks\/[^/]+\.js/ : /dist\/fast\.js/,
      );
      expect(binary.stderr, args.join(' ')).not.toMatch(args.includes('diff') ? /fast\.js/ : /dist\/chunks/);
    }
  });

  it('passes Ctrl-C on to the script, marks the run interrupted and exits 130', async () => {
    const root = makeProject({ 'sleep.py': SLEEPER, 'configs/s.json': { script: 'sleep.py' } });
    let pid = 0;
    const done = runCli(root, ['run', 'configs/s.json'], { onSpawn: (p) => (pid = p) });
    const dir = join(root, 'runs', 's');
    await waitFor(
      () =>
        existsSync(join(dir, 'stdout.log')) &&
        readFileSync(join(dir, 'stdout.log'), 'utf8').includes('started'),
    );
    process.kill(pid, 'SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(JSON.parse(readFileSync(join(dir, 'end.json'), 'utf8'))).toMatchObject({ status: 'interrupted' });
    expect(r.stderr).toContain('repro: runs/s interrupted');
  });

  it('a Ctrl-C at any moment of a start leaves no folder without its records', async () => {
    const root = makeProject({ 'sleep.py': SLEEPER, 'configs/s.json': { script: 'sleep.py' } });
    // from repro's own start to the script running: the moments the folder is made in among them
    for (const [k, delay] of [40, 80, 120, 160, 200, 250, 300, 400, 600].entries()) {
      let pid = 0;
      const done = runCli(root, ['run', 'configs/s.json', '--postfix', String(k)], {
        onSpawn: (p) => (pid = p),
      });
      await new Promise((r) => setTimeout(r, delay));
      process.kill(pid, 'SIGINT');
      // Python drops a KeyboardInterrupt that comes while it sets up its import path ("Failed
      // checking if argv[0] is an import path entry") and runs the script on: as a user would,
      // the test presses Ctrl-C again (repro then sends SIGTERM) when the run goes on
      const again = setTimeout(() => process.kill(pid, 'SIGINT'), 2000);
      const r = await done;
      clearTimeout(again);
      // ended by the signal before anything was made, or the run recorded as interrupted
      expect(r.code === 130 || r.signal === 'SIGINT', `${delay} ms: ${r.code} ${r.signal} ${r.stderr}`).toBe(
        true,
      );
    }
    const made = existsSync(join(root, 'runs')) ? readdirSync(join(root, 'runs')) : [];
    for (const name of made) {
      const files = readdirSync(join(root, 'runs', name));
      expect(files, name).toContain('run.json');
      expect(JSON.parse(readFileSync(join(root, 'runs', name, 'end.json'), 'utf8')), name).toMatchObject({
        status: 'interrupted',
      });
    }
    // the last ones reached the script: they were recorded
    expect(made.length).toBeGreaterThan(0);
  });

  it('tells a run whose repro was killed with SIGKILL as running while its script lives, then crashed', async () => {
    const root = makeProject({ 'sleep.py': SLEEPER, 'configs/s.json': { script: 'sleep.py' } });
    let pid = 0;
    const done = runCli(root, ['run', 'configs/s.json'], { onSpawn: (p) => (pid = p) });
    const dir = join(root, 'runs', 's');
    await waitFor(() => existsSync(join(dir, 'run.json')));
    const before = (await runCli(root, ['ls', '--json'])).stdout;
    expect(JSON.parse(before)[0]).toMatchObject({ name: 's', status: 'running' });
    process.kill(pid, 'SIGKILL');
    await done;
    // the script (its own process group) sleeps on: the run is not over
    const orphaned = JSON.parse((await runCli(root, ['ls', '--json'])).stdout);
    expect(orphaned[0]).toMatchObject({ name: 's', status: 'running' });
    expect(orphaned[0].reason).toContain(`repro's process ${pid} is gone but the script's process`);
    execFileSync('pkill', ['-KILL', '-f', join(root, 'sleep.py')]);
    await waitFor(
      () => !execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(join(root, 'sleep.py')),
    );
    const after = JSON.parse((await runCli(root, ['ls', '--json'])).stdout);
    expect(after[0]).toMatchObject({ name: 's', status: 'crashed' });
    expect(existsSync(join(dir, 'end.json'))).toBe(false);
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(record.pid).toBe(pid);
  });

  it('runs a command given after --', async () => {
    const root = makeProject({ 'configs/c.json': { n: 1 } });
    const r = await runCli(root, [
      'run',
      'configs/c.json',
      '-q',
      '--',
      'python3',
      '-c',
      'import sys; print(sys.argv[1:])',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\['-c', '.*runs\/c\/config.json'\]\n$/);
    expect(r.stderr).toBe('');
    expect(readdirSync(join(root, 'runs'))).toEqual(['c']);
  });

  it('answers --help, --version and unknown commands', async () => {
    const root = makeProject();
    expect((await runCli(root, ['--help'])).stdout).toContain('usage: repro <command>');
    // run and begin load from dist/fast.js, which takes the help pages and the glob library
    // (the hint for a script under another folder) from outside itself
    expect((await runCli(root, ['run', '--help'])).stdout).toContain('Usage: repro run [options] [config]');
    expect((await runCli(root, ['begin', '--help'])).stdout).toContain('Usage: repro begin [options]');
    writeFiles(root, { 'x/sub.py': '', 'configs/h.json': { script: 'sub.py' } });
    const elsewhere = await runCli(root, ['run', 'configs/h.json']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('hint: Did you mean "script": "x/sub.py"?');
    expect((await runCli(root, ['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const unknown = await runCli(root, ['fly']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: unknown command "fly"');
  });
});

describe('commands declared once', () => {
  it('declares every command under the name it is called by, with help for every option', async () => {
    const specs = await loadCommands();
    expect(specs.map((s) => s.name)).toEqual(Object.keys(COMMANDS));
    for (const spec of specs) {
      const help = helpText(spec);
      expect(help, spec.name).toContain(`Usage: repro ${spec.name} [options]`);
      expect(help).toContain(spec.description.split('\n')[0]?.slice(0, 40));
      for (const name of Object.keys(spec.options))
        expect(help, `${spec.name} --${name}`).toContain(`--${name}`);
      for (const arg of spec.args ?? []) expect(help, `${spec.name} ${arg.name}`).toContain(arg.name);
    }
    // the options that once drifted from their help
    expect(helpText(specs.find((s) => s.name === 'tree') as CommandSpec)).toContain('--title <TEXT>');
    expect(helpText(specs.find((s) => s.name === 'worker') as CommandSpec)).toContain('--poll <MS>');
  });

  it('reads a command line as declared, and names every mistake', () => {
    const spec: CommandSpec = {
      name: 'demo',
      summary: 's',
      description: 'd',
      args: [
        { name: 'target', description: 't', required: true },
        { name: 'more', description: 'm' },
      ],
      overrides: true,
      options: {
        sort: { type: 'string', description: 's' },
        jobs: { type: 'integer', short: 'j', description: 'j', default: 1 },
        rate: { type: 'number', description: 'r' },
        json: { type: 'boolean', description: 'j' },
        'no-stale': { type: 'boolean', description: 'n' },
        tag: { type: 'string', multiple: true, description: 't' },
        format: { type: 'string', choices: ['text', 'json'], description: 'f' },
      },
      run: async () => 0,
    };
    const ok = (argv: string[]) => {
      const line = parseCommandLine(spec, argv);
      if (line.help) throw new Error('help');
      return line;
    };
    const error = (argv: string[]) => {
      try {
        parseCommandLine(spec, argv);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    const line = ok([
      'x',
      '--sort',
      '-acc',
      '-j4',
      '--rate=0.5',
      '--set',
      'a=1',
      '--conf={"b":2}',
      '--set',
      'c=3',
      '-c',
      'configs/x.json',
      '--tag',
      'p',
      '--tag=q',
      '--no-stale',
      'y',
    ]);
    expect(line.args).toEqual(['x', 'y']);
    expect(line.values).toEqual({
      sort: '-acc',
      jobs: 4,
      rate: 0.5,
      json: false,
      'no-stale': true,
      tag: ['p', 'q'],
      format: undefined,
    });
    // --conf and --set in the order given
    expect(line.overrides).toEqual([
      { kind: 'set', text: 'a=1' },
      { kind: 'conf', text: '{"b":2}' },
      { kind: 'set', text: 'c=3' },
    ]);
    expect(line.config).toBe('configs/x.json');
    // defaults, the last of a repeated option, and what follows -- as positional
    expect(ok(['x', '--sort', 'a', '--sort', 'b']).values).toMatchObject({ sort: 'b', jobs: 1, json: false });
    expect(ok(['--', '--json']).args).toEqual(['--json']);
    expect(parseCommandLine(spec, ['x', '--json', '-h'])).toEqual({ help: true });
    expect(error(['x', '--sorte', 'a'])).toBe("unknown option '--sorte' (did you mean --sort?)");
    expect(error(['x', '-z'])).toBe("unknown option '-z'");
    expect(error(['x', '--sort'])).toBe("option '--sort <VALUE>' argument missing");
    expect(error(['x', '-j', 'two'])).toBe('--jobs takes a whole number, not "two"');
    expect(error(['x', '-j', '1.5'])).toBe('--jobs takes a whole number, not "1.5"');
    expect(error(['x', '--rate', ''])).toBe('--rate takes a number, not ""');
    expect(error(['x', '--format', 'xml'])).toBe('--format takes text, json, not "xml"');
    expect(error(['x', '--json=yes'])).toBe('option \'--json\' takes no value (given "yes")');
    expect(error([])).toBe("missing required argument 'target'");
    expect(error(['x', 'y', 'z'])).toBe(
      'too many arguments for \'repro demo\': it takes at most 2, and "z" is one too many',
    );
  });

  it('keeps docs/cli.md generated from the declarations (npm run docs rewrites it)', async () => {
    const docs = readFileSync(join(REPO, 'docs', 'cli.md'), 'utf8');
    expect(docs === renderCliDocs(await loadCommands()), 'docs/cli.md is stale: run npm run docs').toBe(true);
  });

  it('names beside each command only functions a user can import from repro or repro/tools', async () => {
    // the built package, as `import ... from 'repro'` and 'repro/tools' load it
    const lib = await import(join(REPO, 'dist', 'index.js'));
    const tools = await import(join(REPO, 'dist', 'tools.js'));
    const missing: string[] = [];
    for (const spec of await loadCommands())
      for (const name of spec.api ?? []) {
        const [fn, method] = name.split('.') as [string, string | undefined];
        const found = lib[fn] ?? tools[fn];
        const ok = method
          ? typeof found?.prototype?.[method] === 'function' || typeof found?.[method] === 'function'
          : typeof found === 'function';
        if (!ok) missing.push(`repro ${spec.name}: ${name}`);
      }
    expect(missing).toEqual([]);
  });

  it('runs in-process in a context: its folder, its output, its environment', async () => {
    const root = makeProject({ 'configs/x.json': { a: 1 }, 'hi.sh': 'echo "hi $GREETING"\n' });
    const r = await runRepro(root, ['run', 'configs/x.json', '--', 'bash', 'hi.sh'], {
      env: { GREETING: 'there' },
    });
    expect(r).toMatchObject({ code: 0, stdout: 'hi there\n' });
    expect(r.stderr).toContain('repro: runs/x <- configs/x.json');
    const again = await runRepro(root, ['run', 'configs/x.json', '-q', '--', 'true']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error: runs/x already exists');
    expect(existsSync(join(root, 'runs', 'x', 'end.json'))).toBe(true);
  });

  it('takes --debug before or after the command, and names the closest command or option', async () => {
    const root = makeProject({ 'configs/bad.json': '{"lr": 0.1,}' });
    for (const args of [
      ['--debug', 'run', 'configs/bad.json'],
      ['run', 'configs/bad.json', '--debug'],
    ]) {
      const r = await runRepro(root, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain('    at ');
    }
    const typo = await runRepro(root, ['stauts']);
    expect(typo).toMatchObject({ code: 2 });
    expect(typo.stderr).toContain('error: unknown command "stauts" (did you mean status?)');
    const option = await runRepro(root, ['ls', '--sorte', 'x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("error: unknown option '--sorte' (did you mean --sort?)");
    const value = await runRepro(root, ['make', 'x', '-j', 'two']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('--jobs takes a whole number');
    const empty = await runRepro(root, ['ui', '--token', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('error: --token is empty');
    // -- ends repro's own arguments: a --debug after it belongs to the script
    const passed = await runRepro(root, ['run', '-q', 'configs/bad.json', '--', 'echo', '--debug']);
    expect(passed.stderr).not.toContain('    at ');
  });
});
