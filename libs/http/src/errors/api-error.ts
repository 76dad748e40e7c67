/**
 * An error the API answers with as is: its status, a stable machine-readable `code` and a message that
 * names the input and the problem. Anything else that reaches the error handler is a bug (500, logged).
 */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
