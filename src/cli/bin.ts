// The `repro` executable: runs the CLI on this process's arguments.
import { main, processContext, reportError } from './main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.exitCode = reportError(error, true, processContext());
  },
);
