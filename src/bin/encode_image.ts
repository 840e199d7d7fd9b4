import { main } from '../cli.ts';
import { CONCURRENCY, createImageChecker, createImageEncoder } from '../encoders/image.ts';
import { IMAGE_BATCH } from '../options.ts';

await main(
  {
    name: 'encode_image',
    defaultBatch: IMAGE_BATCH,
    image: true,
    // encode_image_check runs no model: a call is as many rows as one call reads at once,
    // so that with two calls in flight slow fetches of URLs overlap.
    rowsPerCall: (batchSize, options) => (options.image.check ? CONCURRENCY : batchSize),
    createEncoder: (options, log) => (options.image.check ? createImageChecker(options) : createImageEncoder(options, log)),
  },
  process.argv.slice(2),
);
