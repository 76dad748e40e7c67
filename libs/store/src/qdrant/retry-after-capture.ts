// The full Retry-After of a client call's answer. @qdrant/js-client-rest 1.19 turns a 429's Retry-After into
// its first character ("17" -> 1 s; an HTTP date -> an error) and drops the response, and it offers no hook
// on responses. undici (the client's own Agent) announces every request and its answer's headers on
// diagnostics channels; a request is created synchronously inside the call that sends it, so the call's
// async context (AsyncLocalStorage) ties the answer to the call that is waiting for it.
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';

/** What one call's answer said; filled in while the call runs. */
export interface CapturedAnswer {
  /** The raw Retry-After header of the last answer, if it had one. */
  retryAfter?: string | undefined;
}

const current = new AsyncLocalStorage<CapturedAnswer>();
/** undici request -> the capture of the call that created it (weak: a finished request is forgotten). */
const owners = new WeakMap<object, CapturedAnswer>();
let subscribed = false;

function subscribe(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe('undici:request:create', (message) => {
    const capture = current.getStore();
    const request = (message as { request?: unknown }).request;
    if (capture !== undefined && typeof request === 'object' && request !== null)
      owners.set(request, capture);
  });
  diagnostics.subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request?: object; response?: { headers?: unknown } };
    const capture = request === undefined ? undefined : owners.get(request);
    if (capture !== undefined) capture.retryAfter = headerValue(response?.headers, 'retry-after');
  });
}

/** A header from undici's raw list (`[name, value, name, value, ...]` as Buffers or strings). */
function headerValue(raw: unknown, name: string): string | undefined {
  if (!Array.isArray(raw)) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}

/** Runs `call`, recording its answer's headers in `into`. */
export function captureAnswer<T>(into: CapturedAnswer, call: () => Promise<T>): Promise<T> {
  subscribe();
  return current.run(into, call);
}
