import { pythonPath } from '../run/script.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'python-path',
  summary: "print the folder of repro's Python module, for PYTHONPATH",
  description: `The bundled Python module (import repro) lives in this folder of the installed package; repro run puts it first on PYTHONPATH for Python scripts by itself. To run a script by hand:

PYTHONPATH=$(npx repro python-path) python3 train.py -c configs/model.json --set lr=0.1`,
  options: {},
  examples: ['PYTHONPATH=$(npx repro python-path) python3 train.py -c configs/model.json'],
  async run(_input, ctx) {
    print(ctx, pythonPath());
    return 0;
  },
});
