import { main } from '../cli.ts';
import { CONCURRENCY, createImageChecker, createImageEncoder } from '../encoders/image.ts';
import { IMAGE_BATCH } from '../options.ts';

await main(
  {
    name: 'encode_image',
    defaultBatch: IMAGE_BATCH,
    image: true,
    // Whole model runs, and half the rows that should be read at once: with two calls in
    // flight (four on a GPU), at least max(8, cores) downloads overlap. More rows in flight
    // cost memory on the CPU (2 cores, 8 rows a call: +15-30 MB peak) for no measured speed.
    rowsPerCall: (batchSize) => Math.ceil(CONCURRENCY / 2 / batchSize) * batchSize,
    createEncoder: (options, log) => (options.image.check ? createImageChecker(options) : createImageEncoder(options, log)),
  },
  process.argv.slice(2),
);
