import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../remote/servers.ts';

/**
 * A private one-node SLURM cluster on this machine (Debian's slurm-wlm): its own munged on a
 * socket in a temp folder, slurmctld and slurmd bound to 127.0.0.1 on free ports, state and
 * spool in the temp folder. Every SLURM command finds it through SLURM_CONF in `env`.
 */
export interface Slurm {
  env: Record<string, string>;
  stop: () => void;
}

const SBIN = ['/usr/sbin', '/usr/bin'];
const which = (name: string) => SBIN.map((d) => join(d, name)).find((f) => existsSync(f));

/** Why a SLURM cluster cannot start here, or null when it can. */
export function slurmMissing(): string | null {
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel'].filter((n) => !which(n));
  if (missing.length)
    return `slurm-wlm is not installed (no ${missing.join(', ')}): apt-get install -y slurm-wlm (Debian's 22.05 runs a one-node cluster for these tests; .ci/run installs it)`;
  if (process.getuid?.() !== 0)
    return 'slurmd runs jobs as their users and must start as root: run the tests as root';
  return null;
}

const idOf = (flag: '-u' | '-g', user: string) =>
  Number(execFileSync('id', [flag, user], { encoding: 'utf8' }));

export async function startSlurm(): Promise<Slurm> {
  const dir = mkdtempSync(join(tmpdir(), 'repro-slurm-'));
  chmodSync(dir, 0o755);
  const munge = join(dir, 'munge');
  mkdirSync(munge);
  // munged runs as the munge user, with the package's key (or one made here)
  const [uid, gid] = [idOf('-u', 'munge'), idOf('-g', 'munge')];
  const key = join(munge, 'munge.key');
  if (existsSync('/etc/munge/munge.key')) copyFileSync('/etc/munge/munge.key', key);
  else writeFileSync(key, Buffer.from(Array.from({ length: 128 }, () => Math.floor(Math.random() * 256))));
  chownSync(munge, uid, gid);
  chmodSync(munge, 0o700);
  chownSync(key, uid, gid);
  chmodSync(key, 0o600);
  const socket = join(munge, 'munge.sock');
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  run('runuser', [
    '-u',
    'munge',
    '--',
    which('munged') as string,
    `--socket=${socket}`,
    `--key-file=${key}`,
    `--pid-file=${join(munge, 'munged.pid')}`,
    `--log-file=${join(munge, 'munged.log')}`,
    `--seed-file=${join(munge, 'seed')}`,
    '--force',
  ]);
  // munged's folder must stay closed to others, yet root's slurm daemons reach the socket
  chmodSync(munge, 0o711);

  // jobs that wait on a job start as soon as it ends (as high-throughput sites set it); SLURM's
  // default delays scheduling by up to 3 s per event, a few seconds per stage of a chain
  const SCHEDULER = 'batch_sched_delay=0,sched_min_interval=0';
  const host = hostname();
  const [ctld, slurmd] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    `ClusterName=repro-test
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ctld}
SlurmdPort=${slurmd}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=${SCHEDULER}
StateSaveLocation=${join(dir, 'state')}
SlurmdSpoolDir=${join(dir, 'spool')}
SlurmctldPidFile=${join(dir, 'slurmctld.pid')}
SlurmdPidFile=${join(dir, 'slurmd.pid')}
SlurmctldLogFile=${join(dir, 'slurmctld.log')}
SlurmdLogFile=${join(dir, 'slurmd.log')}
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MinJobAge=300
KillWait=5
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`,
  );
  const env = { SLURM_CONF: conf };
  const full = { ...process.env, ...env };
  const stop = () => {
    spawnSync('scontrol', ['shutdown'], { env: full });
    const pids: number[] = [];
    for (const pidFile of ['slurmctld.pid', 'slurmd.pid', 'munge/munged.pid'])
      try {
        const pid = Number(readFileSync(join(dir, pidFile), 'utf8'));
        if (pid) pids.push(pid);
      } catch {
        // never started, or gone already
      }
    for (const pid of pids) signal(pid, 'SIGTERM');
    // the daemons write their state as they stop: the folder goes once they are gone
    const until = Date.now() + 10_000;
    while (pids.some((pid) => signal(pid, 0)) && Date.now() < until) spawnSync('sleep', ['0.1']);
    for (const pid of pids) signal(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  try {
    run(which('slurmctld') as string, ['-i'], full);
    run(which('slurmd') as string, [], full);
    const until = Date.now() + 30_000;
    for (;;) {
      const state = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', env: full }).stdout.trim();
      if (state === 'idle') break;
      if (Date.now() > until)
        throw new Error(`the SLURM node is "${state}" after 30 s (see ${dir}/slurmctld.log)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    stop();
    throw error;
  }
  return { env, stop };
}

/** Sends a signal; false when the process is gone. */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
