// npm run train -- --root <dir>: one training job on SageMaker's training-container layout
// (<root>/input/data/{train,test}/, <root>/input/config/hyperparameters.json), outside the
// pipeline. Writes <root>/model/model.json, <root>/output/metrics.json, and on failure
// <root>/output/failure; exits 1 then.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isEntryPoint, runOrFail } from './cli.js';
import { runTraining } from './run-training.js';

const USAGE = `usage: npm run train -- --root <dir> [--seed <n>]

  --root <dir>   the container's /opt/ml: input/data/train/ (DeepAR JSON Lines, .json or
                 .json.gz), optional input/data/test/, input/config/hyperparameters.json
  --seed <n>     makes the model and its sample paths reproducible (default 0)`;

export const main = async (argv: string[]): Promise<number> => {
  let values: { root?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        seed: { type: 'string', default: '0' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = Number(values.seed);
  if (!values.root || !Number.isInteger(seed) || seed < 0) {
    console.error(USAGE);
    return 2;
  }
  const root = resolve(values.root);
  const started = performance.now();
  return runOrFail('training failed', async () => {
    const result = await runTraining({ root, seed, log: console.log });
    console.log(
      `model written to ${result.modelDir} in ${((performance.now() - started) / 1000).toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
    );
  });
};

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
