import { main } from '../cli.ts';
import { createTextEncoder } from '../encoders/text.ts';

await main(
  {
    name: 'encode_text',
    // A GPU only gets busy with long batches (H100: 256 captions).
    defaultBatch: { cpu: 32, gpu: 256 },
    image: false,
    createEncoder: createTextEncoder,
    // Many model batches per call, so rows of similar length can share one.
    rowsPerCall: (batchSize) => batchSize * 32,
  },
  process.argv.slice(2),
);
