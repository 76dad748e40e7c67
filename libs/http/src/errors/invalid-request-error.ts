import { ApiError } from './api-error.ts';

/** 400: the request is well-formed JSON of the right shape, but a value is unusable (named in the message). */
export class InvalidRequestError extends ApiError {
  override readonly name = 'InvalidRequestError';

  constructor(message: string, code = 'invalid_request') {
    super(400, code, message);
  }
}
