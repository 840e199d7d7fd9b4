import { main } from '../cli.ts';
import { createImageChecker, createImageEncoder } from '../encoders/image.ts';

await main(
  {
    name: 'encode_image',
    // On the CPU a run of 4 photos costs the same per photo as 8 (2-core EPYC: 46 and 45 ms)
    // and onnxruntime's arena holds half as much (20 MB less); a GPU only gets busy with 64 (H100).
    defaultBatch: { cpu: 4, gpu: 64 },
    image: true,
    rowsPerCall: (batchSize) => batchSize,
    createEncoder: (options, log) => (options.image.check ? createImageChecker(options) : createImageEncoder(options, log)),
  },
  process.argv.slice(2),
);
