import { main } from '../cli.ts';
import { createImageEncoder } from '../encoders/image.ts';

await main({ name: 'encode_image', defaultBatch: 8, createEncoder: createImageEncoder }, process.argv.slice(2));
