// A worker thread of the results index (readRows, statFolders in results.ts): its own entry,
// built as dist/results-worker.js, so that it starts the same way from every build that holds
// results.ts (the CLI's chunks, `repro run`'s own file, the library).
import { workInThread } from './results.ts';

workInThread(process.getBuiltinModule('node:worker_threads').workerData);
