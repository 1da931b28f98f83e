import { fs, join } from '../_builtins.ts';
import type { RunFolder } from './folder.ts';
import { HEARTBEAT_MS, RUN_FILES } from './layout.ts';

/**
 * Touches `<dir>/.heartbeat` every HEARTBEAT_MS while the run lives, so that a reader on another
 * host can tell a crash (readRunState). The file is made at the first beat: a short run never
 * needs one. Its content is never written. Returns the function that stops the beat.
 */
export function startHeartbeat(folder: RunFolder): () => void {
  const file = join(folder.dir, RUN_FILES.heartbeat);
  const timer = setInterval(() => {
    // never into a folder that is no longer the run's
    if (!folder.owns()) return;
    try {
      fs.closeSync(fs.openSync(file, 'a'));
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      // the folder may be on a mount that went away; the end record still decides
    }
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
