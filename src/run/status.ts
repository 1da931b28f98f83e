import { join } from '../_builtins.ts';
import { gatherHostFacts, processStat } from './facts.ts';
import { HEARTBEAT_STALE_MS, RUN_FILES } from './layout.ts';
import {
  type Checked,
  checkEndRecord,
  checkRunRecord,
  type EndRecord,
  mtimeMs,
  type RunRecord,
  type RunStatus,
  readChecked,
} from './record.ts';

/** What is known of a result folder's run right now. */
export interface RunState {
  status: RunStatus;
  /** Why a run is `crashed`, `damaged` or still `running`, in a few words. */
  reason: string;
  record: RunRecord | undefined;
  end: EndRecord | undefined;
}

/** A run folder that has a config but no record yet is given this long to write it. */
const RECORD_GRACE_MS = 60_000;

/**
 * The status of the run in `dir`. `end.json` decides when present. Without it the run is
 * `running` while its process lives, else `crashed`: on the same host (same boot) by the pid and
 * its start time; after a reboot at once; from another host by the heartbeat's age.
 */
export function readRunState(dir: string, now = Date.now()): RunState {
  return judgeRunState(dir, readRecordFiles(dir), now);
}

/**
 * The start and end records of a result folder, each checked. `files`, the folder's listing when
 * the caller has it, spares the failed opens of records that are not there (each costs an
 * exception, which adds up over 10,000 results).
 */
export function readRecordFiles(
  dir: string,
  files?: ReadonlySet<string>,
): { record: Checked<RunRecord>; end: Checked<EndRecord> } {
  const read = <T>(name: string, check: (v: unknown) => string | null): Checked<T> =>
    files && !files.has(name) ? {} : readChecked<T>(join(dir, name), check);
  return {
    record: read<RunRecord>(RUN_FILES.record, checkRunRecord),
    end: read<EndRecord>(RUN_FILES.end, checkEndRecord),
  };
}

/**
 * The status from records already read (readRunState reads them itself). A record file that is
 * there but is not a record makes the result `damaged`, with the reason; the valid parts are kept.
 */
export function judgeRunState(
  dir: string,
  files: { record: Checked<RunRecord>; end: Checked<EndRecord> },
  now = Date.now(),
): RunState {
  const record = files.record.value;
  const end = files.end.value;
  const damage = files.record.damage ?? files.end.damage;
  if (damage) return { status: 'damaged', reason: damage, record, end };
  if (end) return { status: end.status, reason: `ended ${end.ended_at}`, record, end };
  if (!record) {
    const made = mtimeMs(join(dir, RUN_FILES.config)) ?? mtimeMs(dir) ?? 0;
    return now - made > RECORD_GRACE_MS
      ? { status: 'crashed', reason: 'the run never wrote its record', record, end }
      : { status: 'running', reason: 'starting', record, end };
  }
  const host = gatherHostFacts();
  if (record.host.hostname === host.hostname) {
    if (record.host.boot_id && host.boot_id && record.host.boot_id !== host.boot_id) {
      return { status: 'crashed', reason: 'the machine rebooted during the run', record, end };
    }
    if (!isAlive(record.pid, record.pid_start)) {
      // repro's process killed alone (kill -9): the script it started may still run and write
      if (record.script_pid !== undefined && isAlive(record.script_pid, record.script_pid_start ?? null))
        return {
          status: 'running',
          reason: `repro's process ${record.pid} is gone but the script's process ${record.script_pid} still runs (the run will end without an end record)`,
          record,
          end,
        };
      return {
        status: 'crashed',
        reason: `process ${record.pid} is gone and the run has no end record`,
        record,
        end,
      };
    }
    return { status: 'running', reason: `process ${record.pid} is alive`, record, end };
  }
  const beat = mtimeMs(join(dir, RUN_FILES.heartbeat)) ?? Date.parse(record.started_at);
  if (now - beat > HEARTBEAT_STALE_MS) {
    return {
      status: 'crashed',
      reason: `no heartbeat from ${record.host.hostname} for ${Math.round((now - beat) / 1000)} s`,
      record,
      end,
    };
  }
  return { status: 'running', reason: `heartbeat from ${record.host.hostname}`, record, end };
}

/**
 * Whether process `pid` lives and, when `startTicks` is known, is still the same process. A
 * zombie (ended, not yet reaped: a script whose parent was killed, in a container whose first
 * process reaps nothing) is gone.
 */
export function isAlive(pid: number, startTicks: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = processStat(pid);
  if (stat?.state === 'Z') return false;
  if (!startTicks) return true;
  return stat === null || stat.startTicks === null || stat.startTicks === startTicks;
}
