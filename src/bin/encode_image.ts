import { main } from '../cli.ts';
import { createImageChecker, createImageEncoder } from '../encoders/image.ts';
import { IMAGE_BATCH } from '../options.ts';

await main(
  {
    name: 'encode_image',
    defaultBatch: IMAGE_BATCH,
    image: true,
    rowsPerCall: (batchSize) => batchSize,
    createEncoder: (options, log) => (options.image.check ? createImageChecker(options) : createImageEncoder(options, log)),
  },
  process.argv.slice(2),
);
