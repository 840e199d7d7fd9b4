import { main } from '../cli.ts';
import { createTextEncoder } from '../encoders/text.ts';
import { TEXT_BATCH } from '../options.ts';

await main(
  {
    name: 'encode_text',
    defaultBatch: TEXT_BATCH,
    image: false,
    createEncoder: createTextEncoder,
    // Many model batches per call, so rows of similar length can share one.
    rowsPerCall: (batchSize) => batchSize * 32,
  },
  process.argv.slice(2),
);
