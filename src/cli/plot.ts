import { extname, resolve } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import { loadSeries, renderHtml, renderPng, renderSvg, renderTerminal } from '../plot/plot.ts';
import { REMOTE_OPTIONS, resultSource } from './source.ts';
import { defineCommand, print, warnTo, writeNewFile } from './spec.ts';

export default defineCommand({
  name: 'plot',
  summary: 'draw a metric of several runs on one chart',
  api: ['loadSeries', 'renderSvg'],
  description: `Draws one metric of every run on one chart, one line per run, with a legend by run name and labelled axes. A config name stands for its result. Without -o the chart is drawn in the terminal (asciichart; each run resampled to the terminal's width). -o writes .svg (d3 scales and line paths), .png (that SVG rendered by resvg, with the system fonts) or .html (the SVG in a page; hovering a line names its run); an existing file is never overwritten. Lines of more points than pixels are thinned to the lowest and highest point per pixel, so spikes stay visible.

--x index plots by row number; --smooth K is a trailing moving average over K points. Runs without the metric are named in a warning; if none has it, the command fails. A run still in progress plots what it has.`,
  args: [{ name: 'runs', required: true, variadic: true, description: 'results, names or globs' }],
  options: {
    metric: { type: 'string', value: 'NAME', default: 'loss', description: 'the metric to plot' },
    x: {
      type: 'string',
      value: 'KEY',
      default: 'step',
      description: 'the x axis ("index" plots by row number)',
    },
    smooth: { type: 'integer', value: 'K', default: 0, description: 'trailing moving average over K points' },
    'log-y': { type: 'boolean', description: 'logarithmic y axis' },
    output: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      description: 'write the chart to FILE (.svg, .png or .html)',
    },
    title: { type: 'string', value: 'TEXT', description: 'a title over the chart' },
    'skip-bad': { type: 'boolean', description: 'leave out inputs that are not results, with a warning' },
    ...REMOTE_OPTIONS,
  },
  examples: ["repro plot model 'model~lr=0.1' --smooth 20 -o losses.png"],
  async run({ args, options }, ctx) {
    const { metric, x } = options;
    const { series } = loadSeries(args, {
      project: await resultSource(options, ctx).project(),
      cwd: ctx.cwd,
      metric,
      x,
      smooth: options.smooth,
      skipBad: options['skip-bad'],
      warn: warnTo(ctx),
    });
    const chart = { metric, x, logY: options['log-y'], title: options.title };
    const output = options.output;
    if (!output) {
      print(
        ctx,
        await renderTerminal(series, {
          ...chart,
          width: ctx.stdout.columns || 100,
          height: ctx.stdout.rows || 30,
          color: Boolean(ctx.stdout.isTTY) && !ctx.env.NO_COLOR,
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
    writeNewFile(resolve(ctx.cwd, output), output, data);
    ctx.stderr.write(`wrote ${output}: ${series.length} run${series.length === 1 ? '' : 's'}\n`);
    return 0;
  },
});
