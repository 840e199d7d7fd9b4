import { main } from '../cli.ts';
import { CONCURRENCY, createImageChecker, createImageEncoder } from '../encoders/image.ts';
import { IMAGE_BATCH } from '../options.ts';

await main(
  {
    name: 'encode_image',
    defaultBatch: IMAGE_BATCH,
    image: true,
    // Whole model runs, and at least as many rows as a call reads at once: with two calls in
    // flight, 16 or more rows are being read, so that slow fetches of URLs overlap.
    rowsPerCall: (batchSize) => Math.ceil(CONCURRENCY / batchSize) * batchSize,
    createEncoder: (options, log) => (options.image.check ? createImageChecker(options) : createImageEncoder(options, log)),
  },
  process.argv.slice(2),
);
