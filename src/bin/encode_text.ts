import { main } from '../cli.ts';
import { createTextEncoder } from '../encoders/text.ts';

await main({ name: 'encode_text', defaultBatch: 32, image: false, createEncoder: createTextEncoder }, process.argv.slice(2));
