import { InvalidRequestError } from './errors/invalid-request-error.ts';
import type { TextLimits } from './context.ts';

/** The collection-name rule of @embedline/queue (`collectionNameSchema`), as a JSON schema pattern. */
export const COLLECTION_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

export const collectionNameSchema = {
  type: 'string',
  pattern: COLLECTION_NAME_PATTERN,
  description: '1-64 letters, digits, "_" or "-", starting with a letter or digit',
} as const;

/** A text or a list of texts, each 1..maxQueryChars characters, at most maxBatchQueries of them. */
export function textsSchema(limits: TextLimits, description: string) {
  return {
    type: ['string', 'array'],
    description,
    minLength: 1,
    maxLength: limits.maxQueryChars,
    minItems: 1,
    maxItems: limits.maxBatchQueries,
    items: { type: 'string', minLength: 1, maxLength: limits.maxQueryChars },
  } as const;
}

/**
 * What BERT's normalizer drops or splits on: whitespace, control and format characters (NUL, zero-width
 * space, soft hyphen...), private-use characters, lone surrogates and U+FFFD. A text of only these embeds
 * exactly as the empty text.
 */
const NOTHING_TO_EMBED = /^[\s\p{Cc}\p{Cf}\p{Co}\p{Cs}\uFFFD]*$/u;

/** The texts as a list; a text with nothing to embed is a 400 naming it (the schema admits it). */
export function textList(value: string | string[], field: string): string[] {
  const texts = typeof value === 'string' ? [value] : value;
  texts.forEach((text, i) => {
    if (NOTHING_TO_EMBED.test(text)) {
      const name = typeof value === 'string' ? field : `${field}[${i}]`;
      throw new InvalidRequestError(`${name} is empty (only whitespace or control characters)`);
    }
  });
  return texts;
}

/** The header of the answers a client should retry, documented on them (OpenAPI response headers). */
export const retryAfter = {
  'retry-after': { type: 'integer', description: 'seconds to wait before retrying' },
} as const;

export const errorResponses = {
  400: { $ref: 'ErrorBody#' },
  401: { $ref: 'ErrorBody#' },
  403: { $ref: 'ErrorBody#' },
  429: { $ref: 'ErrorBody#', headers: retryAfter },
  503: { $ref: 'ErrorBody#', headers: retryAfter },
} as const;

/** The error answers of a route that takes a JSON body: those of every route, a body too large, not JSON. */
export const bodyErrorResponses = {
  ...errorResponses,
  413: { $ref: 'ErrorBody#' },
  415: { $ref: 'ErrorBody#' },
} as const;
