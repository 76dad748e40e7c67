import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ApiKeyring, Caller, KeyScope } from './api-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook: who is calling (undefined on open routes). */
    caller?: Caller;
  }
}

/** Header that carries the API key (or `Authorization: Bearer <key>`). */
export const API_KEY_HEADER = 'x-api-key';
/** Callers when no keys are configured: everyone reads, as one anonymous caller per address. */
const ANONYMOUS_SCOPE: KeyScope = 'read';

/**
 * An onRequest hook admitting callers whose key has `scope` (an admin key has every scope). It answers
 * 401 without a valid key and 403 with a key of too small a scope. The key itself is never logged: only
 * its id, a hash prefix. `Authorization: Basic` (any user, the key as password) is accepted too, so that
 * a browser can open the queue dashboard.
 */
export function requireScope(keyring: ApiKeyring, scope: KeyScope): onRequestHookHandler {
  return async function authorize(request: FastifyRequest, reply: FastifyReply) {
    if (!keyring.enabled && scope === ANONYMOUS_SCOPE) return;
    if (scope === 'admin' && !keyring.hasAdminKeys) {
      return deny(
        reply,
        403,
        'forbidden',
        'admin routes are closed: no admin key is configured (EMBEDLINE_API_ADMIN_KEYS)',
      );
    }
    const presented = presentedKey(request);
    if (presented === undefined) {
      return deny(
        reply,
        401,
        'missing_api_key',
        `an API key is required: send it in the ${API_KEY_HEADER} header`,
        scope,
      );
    }
    const caller = keyring.identify(presented);
    if (caller === undefined) return deny(reply, 401, 'invalid_api_key', 'the API key is not valid', scope);
    request.caller = caller;
    if (scope === 'admin' && caller.scope !== 'admin') {
      request.log.warn({ keyId: caller.keyId }, 'read key used on an admin route');
      return deny(reply, 403, 'forbidden', 'this route needs an admin key');
    }
  };
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers[API_KEY_HEADER];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  if (authorization === undefined) return undefined;
  const [kind, value] = authorization.split(' ', 2);
  if (value === undefined) return undefined;
  if (kind?.toLowerCase() === 'bearer') return value;
  if (kind?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

function deny(reply: FastifyReply, statusCode: number, code: string, message: string, scope?: KeyScope) {
  // The dashboard is opened in a browser: a Basic challenge lets it ask for the key.
  if (statusCode === 401 && scope === 'admin')
    reply.header('www-authenticate', 'Basic realm="embedline admin"');
  return reply.code(statusCode).send({ statusCode, code, error: reason(statusCode), message });
}

function reason(statusCode: number): string {
  return statusCode === 401 ? 'Unauthorized' : 'Forbidden';
}
