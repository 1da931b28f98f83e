import { parseArgs } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import { listRuns } from '../run/list.ts';
import { formatSeconds } from '../run/runner.ts';

export const USAGE = `usage: repro ls [--json]

Lists the result folders under the runs root: name, status (done, failed, interrupted,
crashed, running), start time and duration. A run whose process died without an end
record shows as crashed.`;

export async function main(argv: string[]): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, USAGE);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runs = listRuns();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    process.stderr.write('no results yet (repro run configs/<name>.json makes one)\n');
    return 0;
  }
  const rows = runs.map((r) => [
    r.name,
    r.status,
    r.started_at ? r.started_at.replace('T', ' ').slice(0, 19) : '-',
    r.duration_s === null ? '-' : formatSeconds(r.duration_s),
  ]);
  const head = ['name', 'status', 'started', 'duration'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n`);
  return 0;
}
