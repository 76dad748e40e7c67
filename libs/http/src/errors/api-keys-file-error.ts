/** The API keys file (EMBEDLINE_API_KEYS_FILE) cannot be read or has a bad line; found at start-up. */
export class ApiKeysFileError extends Error {
  override readonly name = 'ApiKeysFileError';

  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`API keys file ${path}: ${problem}`, options);
  }
}
