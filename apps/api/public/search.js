// The search page: sends the query to POST /v1/search and shows the ranked hits. No framework and no
// build step: the page is served as-is by the API (apps/api/public). Text from the server is only ever
// set through textContent, never parsed as HTML, so a passage cannot inject markup.
/* global document */

const KEY_STORAGE = 'embedline.apiKey';

const form = document.getElementById('search-form');
const queryInput = document.getElementById('query');
const topKSelect = document.getElementById('top-k');
const keyInput = document.getElementById('api-key');
const keyDetails = document.getElementById('key-details');
const errorBox = document.getElementById('error');
const statusLine = document.getElementById('status');
const resultsList = document.getElementById('results');

/** The request in flight; a newer search aborts it so that a slow answer never overwrites a newer one. */
let inFlight;

keyInput.value = readStoredKey();
keyInput.addEventListener('change', () => storeKey(keyInput.value.trim()));
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void search();
});

async function search() {
  const query = queryInput.value.trim();
  if (query === '') {
    showError('Type a query first.');
    queryInput.focus();
    return;
  }
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  hideError();
  resultsList.setAttribute('aria-busy', 'true');
  statusLine.textContent = 'Searching…';
  try {
    const answer = await postSearch(query, Number(topKSelect.value), controller.signal);
    if (controller.signal.aborted) return;
    const result = answer.results?.[0];
    showHits(query, result?.hits ?? [], result?.truncated === true);
  } catch (error) {
    if (controller.signal.aborted) return;
    resultsList.replaceChildren();
    statusLine.textContent = 'The search failed.';
    showError(error.message);
    if (error.status === 401 || error.status === 403) {
      keyDetails.open = true;
      keyInput.focus();
    }
  } finally {
    if (inFlight === controller) {
      inFlight = undefined;
      resultsList.removeAttribute('aria-busy');
    }
  }
}

async function postSearch(query, topK, signal) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const key = keyInput.value.trim();
  if (key !== '') {
    headers['x-api-key'] = key;
    storeKey(key);
  }
  let response;
  try {
    response = await fetch('/v1/search', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, top_k: topK }),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new Error(`Could not reach the server: ${error.message}`);
  }
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    // The API answers every error as JSON { statusCode, code, error, message }; a proxy might not.
    const reason = body?.message ?? response.statusText ?? 'no details';
    const failure = new Error(`Error ${response.status}${body?.error ? ` ${body.error}` : ''}: ${reason}`);
    failure.status = response.status;
    throw failure;
  }
  if (body === undefined) throw new Error('The server answered with something that is not JSON.');
  return body;
}

function showHits(query, hits, truncated) {
  resultsList.replaceChildren(...hits.map((hit, index) => hitItem(hit, index + 1)));
  statusLine.textContent =
    (hits.length === 0
      ? `No results for “${query}”.`
      : `${hits.length} result${hits.length === 1 ? '' : 's'} for “${query}”.`) +
    // The API cuts a query past what the model reads (as sentence-transformers does) and says so.
    (truncated ? ' The query is longer than the model reads: only its beginning was searched.' : '');
}

function hitItem(hit, rank) {
  const item = document.createElement('li');
  item.className = 'hit';
  item.dataset.id = hit.id;
  const meta = document.createElement('p');
  meta.className = 'meta';
  meta.append(
    labelled('rank', 'Rank', String(rank)),
    labelled('score', 'Score', Number(hit.score).toFixed(3)),
    labelled('id', 'ID', hit.id),
  );
  const text = document.createElement('p');
  text.className = 'text';
  const passage = hit.payload?.text;
  text.textContent = typeof passage === 'string' ? passage : '(no passage text stored)';
  item.append(meta, text);
  return item;
}

function labelled(className, label, value) {
  const span = document.createElement('span');
  span.className = className;
  const name = document.createElement('span');
  name.className = 'label';
  name.textContent = `${label} `;
  const data = document.createElement('span');
  data.className = 'value';
  data.textContent = value;
  span.append(name, data);
  return span;
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function hideError() {
  errorBox.textContent = '';
  errorBox.hidden = true;
}

// Local storage can be unavailable (privacy modes, file policies): the page then works without it.
function readStoredKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

function storeKey(key) {
  try {
    if (key === '') localStorage.removeItem(KEY_STORAGE);
    else localStorage.setItem(KEY_STORAGE, key);
  } catch {
    // not stored: the key stays in the field for this visit
  }
}
