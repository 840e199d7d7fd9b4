// Entry point: modelgen --size tiny|base --out DIR [--seed N] [--dtypes fp32,fp16,q8]

import { CliUsageError, parseCliArgs, USAGE } from './cli-args.ts';
import { generateClipModel } from './generate.ts';

async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err;
    process.stderr.write(`modelgen: ${err.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (args === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  await generateClipModel(args.outDir, { size: args.size, seed: args.seed, dtypes: args.dtypes });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`modelgen: wrote ${args.size} CLIP (seed ${args.seed}; ${args.dtypes.join(', ')}) to ${args.outDir} in ${seconds} s\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(message.startsWith('modelgen:') ? `${message}\n` : `modelgen: ${message}\n`);
    process.exitCode = 1;
  },
);
