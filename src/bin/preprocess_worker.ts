// A worker thread of encode_image (see encoders/decode-workers.ts): decoding and the exact
// Pillow resampling run here, so the main thread is left to read rows and feed the model.
import { CLIP_CROP_BYTES } from '../image/preprocess.ts';
import { releaseNow } from '../image/release.ts';
import { SourceError, preprocessGuarded } from '../sources/index.ts';
import type { DecodeJob, DecodeResult } from '../encoders/decode-workers.ts';
import { answerJobs } from '../worker-pool.ts';

answerJobs<DecodeJob, DecodeResult>(async ({ bytes, options }) => {
  const pixels = new Uint8Array(CLIP_CROP_BYTES);
  try {
    await preprocessGuarded(bytes, pixels, 0, options);
    // This thread's copy of the bytes; the collector would free it only with the next ~32 MB.
    releaseNow(bytes);
    return { result: pixels, transfer: [pixels.buffer] };
  } catch (err) {
    if (err instanceof SourceError) return { result: { reason: err.message, code: err.code } };
    throw err;
  }
});
