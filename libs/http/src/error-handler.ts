import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors/api-error.ts';
import { filterValidationMessage } from './filter.ts';
import { routeTable } from './route-table.ts';

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly error: string;
  readonly message: string;
}

export const errorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  description: 'Every error: the HTTP status, a stable code, and a message naming the input and the problem.',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'code', 'error', 'message'],
} as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Every failure becomes a JSON ErrorBody. Client mistakes keep their 4xx and a message saying what is
 * wrong (Fastify's validation messages name the field: `body/top_k must be <= 1000`); our ApiErrors carry
 * their own status and headers; anything else is a bug: logged with its stack, answered as a bare 500.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const answer = describe(error, request);
    if (answer.statusCode >= 500 && !(error instanceof ApiError)) {
      request.log.error({ err: error }, 'unexpected error');
    } else if (answer.statusCode >= 500) {
      request.log.warn({ err: error.cause ?? error }, answer.message);
    }
    if (error instanceof ApiError) reply.headers(error.headers);
    return reply.code(answer.statusCode).send(answer);
  });
  const routes = routeTable(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // The path exists with other methods: a 405 that lists them (a GET of the POST-only /v1/search).
    const allowed = routes.methodsOf(path);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(
          body(
            405,
            'method_not_allowed',
            `${request.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`,
          ),
        );
    }
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : undefined;
    const hint =
      trimmed !== undefined && routes.methodsOf(trimmed).length > 0
        ? `; did you mean ${trimmed}?`
        : ' (see /docs)';
    return reply.code(404).send(body(404, 'not_found', `no route ${request.method} ${path}${hint}`));
  });
}

/**
 * Fastify's `frameworkErrors` option (errors met before routing: a path with a bad percent-encoding, a path
 * parameter over the router's length limit), answered like every other error.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const answer = describe(error, request);
  void reply.code(answer.statusCode).send(answer);
}

function describe(error: FastifyError | ApiError, request: FastifyRequest): ErrorBody {
  if (error instanceof ApiError) return body(error.statusCode, error.code, error.message);
  if ('validation' in error && error.validation !== undefined) {
    const filter = filterValidationMessage(error.validation, error.validationContext ?? 'body');
    if (filter !== undefined) return body(400, 'invalid_request', filter);
    // Ajv's "must NOT have additional properties" does not say which: name it (a typo like `topK` for `top_k`).
    const extra = error.validation.find((v) => v.keyword === 'additionalProperties')?.params
      .additionalProperty;
    const message =
      typeof extra === 'string'
        ? `${error.message} ("${extra}" is not a field of this request)`
        : error.message;
    return body(400, 'invalid_request', message);
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const type = request.headers['content-type'];
    const sent = type === undefined ? 'no content type' : `content type "${type}"`;
    return body(
      415,
      'unsupported_media_type',
      `${sent} is not accepted: send a JSON body with content-type: application/json`,
    );
  }
  const framework = frameworkError(error, request);
  if (framework !== undefined) return framework;
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's own codes (FST_ERR_...) are not part of this API's: the status's name stands in.
    const fastifysOwn = error.code === undefined || error.code.startsWith('FST_');
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return body(400, 'malformed_json', `the body is not valid JSON: ${error.message}`);
    }
    return fastifysOwn ? errorBody(status, error.message) : body(status, error.code, error.message);
  }
  return body(500, 'internal_error', `internal error (logged on the server as request ${request.id})`);
}

/** The client mistakes Fastify finds before a route runs, in this API's words (codes and messages). */
function frameworkError(error: FastifyError, request: FastifyRequest): ErrorBody | undefined {
  const url = request.url.split('?')[0]!;
  const path = url.length > 120 ? `${url.slice(0, 120)}...` : url;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return body(
        413,
        'body_too_large',
        `the body is larger than this server's limit of ${request.routeOptions.bodyLimit} bytes (EMBEDLINE_API_BODY_LIMIT)`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return body(
        400,
        'malformed_json',
        'the body is empty: send a JSON object with content-type: application/json',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return body(
        400,
        'invalid_content_length',
        `the body's size does not match its content-length header (${request.headers['content-length']})`,
      );
    case 'FST_ERR_BAD_URL':
      return body(400, 'bad_url', `the path "${path}" is not valid: it has a malformed percent-encoding`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return body(414, 'uri_too_long', `the path "${path}" has a parameter over the length limit`);
    default:
      return undefined;
  }
}

/**
 * The ErrorBody of a status: `error` is the status's name and `code`, unless given, that name in snake case
 * (`service_unavailable`). For answers sent outside the error handler (the queue dashboard's).
 */
export function errorBody(statusCode: number, message: string, code?: string): ErrorBody {
  return body(
    statusCode,
    code ?? (REASONS[statusCode] ?? 'error').toLowerCase().replaceAll(' ', '_'),
    message,
  );
}

/**
 * What Node's HTTP server refuses before any route runs (a request not received whole within the request
 * timeout, headers too large, bytes that are not HTTP), answered in this API's error body, then the connection
 * closed: Fastify's default handler answers these with a body of its own, without `code`.
 */
export function answerClientError(requestTimeoutMs: number) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const answer =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errorBody(
            408,
            `the request was not received whole within ${requestTimeoutMs} ms (EMBEDLINE_API_REQUEST_TIMEOUT_MS)`,
            'request_timeout',
          )
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? errorBody(431, 'the request headers are larger than this server accepts', 'headers_too_large')
          : errorBody(400, 'the request is not well-formed HTTP', 'bad_request');
    if (socket.writable) {
      const text = JSON.stringify(answer);
      socket.write(
        `HTTP/1.1 ${answer.statusCode} ${answer.error}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
      );
    }
    socket.destroy(error);
  };
}

function body(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, code, error: REASONS[statusCode] ?? 'Error', message };
}
