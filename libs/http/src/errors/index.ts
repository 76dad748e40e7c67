export { ApiError } from './api-error.ts';
export { InvalidRequestError } from './invalid-request-error.ts';
export { UnknownCollectionError } from './unknown-collection-error.ts';
export { StoreUnavailableError, STORE_RETRY_AFTER_S } from './store-unavailable-error.ts';
export { ApiKeysFileError } from './api-keys-file-error.ts';
