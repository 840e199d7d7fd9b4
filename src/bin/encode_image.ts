import { main } from '../cli.ts';
import { createImageChecker, createImageEncoder } from '../encoders/image.ts';

await main(
  {
    name: 'encode_image',
    defaultBatch: 8,
    image: true,
    rowsPerCall: (batchSize) => batchSize,
    createEncoder: (options, log) => (options.image.check ? createImageChecker(options) : createImageEncoder(options, log)),
  },
  process.argv.slice(2),
);
