import { childProcess } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import { serveUi } from '../ui/server.ts';
import { intOption, parseCommand } from './args.ts';
import { projectFor, REMOTE_OPTIONS } from './remote.ts';

export const USAGE = `usage: repro ui [--port 8080] [--host 127.0.0.1] [--token T] [--open]

Serves a local dashboard over the runs root: the runs table (sort, filter, select), compare
(config diff and metrics overlaid), one run (config, effective config, record, log tail, files,
charts), the config graph by status, and the family tree. Read-only. It binds 127.0.0.1; with
another --host every request needs the token it prints (or --token). With --db URL (and
--storage URI) it shows the shared store's results, mirrored locally when it starts.`;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      ...REMOTE_OPTIONS,
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      open: { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`, USAGE);
  const host = args.values.host ?? '127.0.0.1';
  const token =
    args.values.token ?? (LOOPBACK.test(host) ? undefined : crypto.randomUUID().replace(/-/g, ''));
  const { url } = await serveUi({
    project: await projectFor(args.values),
    port: intOption(args.values.port, 'port', 8080),
    host,
    token,
  });
  process.stderr.write(
    `repro ui: ${url}\n${token ? 'every request needs this token (it is in the address)\n' : ''}(Ctrl-C stops it)\n`,
  );
  if (args.values.open) {
    const opener =
      process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    childProcess()
      .spawn(opener, [url], { stdio: 'ignore', detached: true })
      .on('error', () => {})
      .unref();
  }
  // serve until stopped
  await new Promise(() => {});
  return 0;
}
