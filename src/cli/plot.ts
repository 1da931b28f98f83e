import { extname, fs } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import { loadSeries, renderHtml, renderPng, renderSvg, renderTerminal } from '../plot/plot.ts';
import { intOption, parseCommand, print } from './args.ts';
import { projectFor, REMOTE_OPTIONS, REMOTE_USAGE } from './remote.ts';

export const USAGE = `usage: repro plot <result|name|glob>... [--metric loss] [--x step] [--smooth K] [--log-y] [-o FILE]

Draws one metric of every run on one chart, one line per run, legend by run name. Without -o
the chart is drawn in the terminal; -o writes losses.svg, losses.png or losses.html (an
existing file is never overwritten). Runs without the metric are named in a warning; a run
still in progress plots what it has.

options:
  --metric NAME   the metric to plot (default: loss)
  --x KEY         the x axis (default: step; "index" plots by row number)
  --smooth K      trailing moving average over K points
  --log-y         logarithmic y axis
  -o, --output F  write the chart to F (.svg, .png or .html)
  --title TEXT    a title over the chart
  --skip-bad      leave out inputs that are not results, with a warning
${REMOTE_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      ...REMOTE_OPTIONS,
      metric: { type: 'string' },
      x: { type: 'string' },
      smooth: { type: 'string' },
      'log-y': { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      title: { type: 'string' },
      'skip-bad': { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError('repro plot needs runs to plot', USAGE);
  const metric = args.values.metric ?? 'loss';
  const x = args.values.x ?? 'step';
  const { series } = loadSeries(args.positionals, {
    project: await projectFor(args.values),
    metric,
    x,
    smooth: intOption(args.values.smooth, 'smooth', 0),
    skipBad: args.values['skip-bad'],
  });
  const chart = { metric, x, logY: args.values['log-y'], title: args.values.title };
  const output = args.values.output;
  if (!output) {
    print(
      await renderTerminal(series, {
        ...chart,
        width: process.stdout.columns || 100,
        height: process.stdout.rows || 30,
        color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      }),
    );
    return 0;
  }
  const ext = extname(output).toLowerCase();
  let data: string | Buffer;
  if (ext === '.svg') data = renderSvg(series, chart);
  else if (ext === '.html' || ext === '.htm') data = renderHtml(series, chart);
  else if (ext === '.png') data = await renderPng(renderSvg(series, chart));
  else throw new UsageError(`-o ${output}: the file must end in .svg, .png or .html`);
  try {
    fs.writeFileSync(output, data, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(
        `${output} already exists; repro never overwrites a file`,
        'Choose another name, or remove the old chart yourself.',
      );
    }
    throw error;
  }
  process.stderr.write(`wrote ${output}: ${series.length} run${series.length === 1 ? '' : 's'}\n`);
  return 0;
}
