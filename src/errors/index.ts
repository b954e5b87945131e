/** The error catalog and the typed errors, as the rest of src/ imports them. */
export { ERROR_CODES, exitCodeFor, type ErrorCode } from './codes.ts';
export { BatchpilotError, type ErrorContext, type BatchpilotErrorOptions } from './batchpilot-error.ts';
export { ConfigError, UsageError } from './config-error.ts';
export { InputError } from './input-error.ts';
export { StoreError } from './store-error.ts';
export { toStorageFault, createCorruptStoreError, type StorageFaultOptions } from './storage-fault.ts';
export { CancelledError } from './cancelled-error.ts';
export { EndpointError } from './endpoint-error.ts';
export { SinkError } from './sink-error.ts';
export {
  ProviderError,
  AuthenticationError,
  RateLimitError,
  InternalServerError,
  ConnectionError,
  TimeoutError,
  MalformedResponseError,
  ResponseTooLargeError,
  type ProviderFailureKind,
  type ProviderErrorFields,
} from './provider-error.ts';
export { cutErrorBody, ERROR_BODY_MAX_BYTES, type StoredErrorBody } from './cut-error-body.ts';
