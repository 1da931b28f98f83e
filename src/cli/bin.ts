// The `repro` executable: runs the CLI on this process's arguments.
//
// Node.js 22.1 and newer keep V8's compiled code of the CLI's modules on disk (in the system's
// temporary folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off): enabled before the modules load,
// so a command starts without compiling them again. Node.js 20 has no such cache and goes on.
// (@types/node is Node.js 20's, which lacks the function)
const nodeModule = process.getBuiltinModule('module') as { enableCompileCache?: () => unknown };
nodeModule.enableCompileCache?.();
const argv = process.argv.slice(2);
// `repro run` and `repro begin` load from one file of their own, built beside this one
// (fast.ts); every other command from the shared chunks
const command = argv.find((a) => a !== '--debug');
const { main, processContext, reportError } = (
  command === 'run' || command === 'begin'
    ? await import(new URL('./fast.js', import.meta.url).href)
    : await import('./main.ts')
) as typeof import('./main.ts');

// a reader that went away (`repro ls | head`, a closed tee): repro stops writing to it and goes
// on, so that a run still ends with its records (the script's output is in its log files)
// instead of dying of EPIPE with a stack trace
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stream.write = (() => true) as typeof stream.write;
  });

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.exitCode = reportError(error, true, processContext());
  },
);
