// The source layer: one row's argument -> bytes (read.ts), and bytes -> a guarded decode
// (guard.ts, pixels.ts). See policy.ts for what is allowed by default.
export { SourceError, formatBytes, quote } from './errors.ts';
export type { SourceErrorCode } from './errors.ts';
export {
  DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_BYTES,
  DEFAULT_MAX_REDIRECTS, DEFAULT_TOTAL_TIMEOUT_MS, DEFAULT_USER_FILES, defaultPolicy, validatePolicy,
} from './policy.ts';
export type { ResolvedAddress, Resolver, SourcePolicy } from './policy.ts';
export { openImageSource, readSource, readSources, sourceKind } from './read.ts';
export type { OpenImageFile } from './file.ts';
export type { ReadSourcesOptions, SourceKind } from './read.ts';
export { createBudget, createLimiter, mapLimit } from './limit.ts';
export { classifyAddress, refuseAddress } from './address.ts';
export type { AddressKind } from './address.ts';
export { declaredPixels, inspectImage } from './guard.ts';
export type { AcceptedFormat, GuardOptions, ImageHeader } from './guard.ts';
export { DEFAULT_DECODE_TIMEOUT_MS, defaultImageLimits, preprocessGuarded } from './pixels.ts';
export type { GuardedPreprocessOptions, ImageLimits } from './pixels.ts';
export { withTimeout } from './timeout.ts';
