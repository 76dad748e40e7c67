export {
  ModelDownloadError,
  type ModelDownloadErrorCode,
  type ModelDownloadErrorDetails,
} from './model-download-error.ts';
