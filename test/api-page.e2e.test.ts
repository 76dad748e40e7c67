/**
 * The search page at `/` (apps/api/public) as a user uses it, in headless Debian Chromium driven by
 * playwright-core: the API runs on a real port over a small embedded collection (test/api-fixture.ts),
 * and what the page shows is checked against what POST /v1/search answers for the same query.
 *
 * Needs Debian's chromium at /usr/bin/chromium (.ci/run installs it). Without it the suite FAILS and
 * says so: a browser test that silently skips would let a broken page through.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { VectorStore } from '@embedline/store';
import { ApiFixture, READ_KEY, auth } from './api-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const PUBLIC_DIR = fileURLToPath(new URL('../apps/api/public', import.meta.url));
const KEY_STORAGE = 'embedline.apiKey';
/** Generous: two shared cores, a cold browser, an encoder in a worker thread. */
const UI_TIMEOUT_MS = 60_000;

interface ShownHit {
  readonly rank: string;
  readonly score: string;
  readonly id: string;
  readonly text: string;
}

/** The few browser globals the in-page callbacks touch (this project compiles without the DOM library). */
interface InPage {
  readonly document: {
    getElementById(id: string): { getAttribute(name: string): string | null } | null;
    readonly activeElement: { readonly id: string } | null;
  };
  readonly localStorage: { setItem(key: string, value: string): void; removeItem(key: string): void };
}

interface ApiHit {
  readonly id: string;
  readonly score: number;
  readonly payload?: { readonly text?: string };
}

describe('search page in headless Chromium', { timeout: 600_000 }, () => {
  let fixture: ApiFixture;
  let browser: BrowserContext;
  let profileDir: string;
  const servers: FastifyInstance[] = [];
  let baseUrl: string;

  /** A server on a free local port, serving the page; closed after the suite. */
  async function listen(...args: Parameters<ApiFixture['server']>): Promise<string> {
    const [options, deps] = args;
    const server = await fixture.server({ publicDir: PUBLIC_DIR, ...options }, deps);
    servers.push(server);
    return server.listen({ host: '127.0.0.1', port: 0 });
  }

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} not found: this suite drives Debian's chromium package. Install it with ` +
        '`apt-get install -y chromium` (.ci/run does); it is not skipped, because a skipped browser test hides a broken page',
    );
    fixture = await ApiFixture.start();
    baseUrl = await listen();
    profileDir = mkdtempSync(join(tmpdir(), 'embedline-chromium-'));
    // A persistent context is playwright's way to give Chromium its own --user-data-dir.
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: UI_TIMEOUT_MS,
    });
    browser.setDefaultTimeout(UI_TIMEOUT_MS);
  });

  after(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
    await fixture?.dispose();
    if (profileDir !== undefined) rmSync(profileDir, { recursive: true, force: true });
  });

  /** A fresh tab on `url`, with the read key (null: no key) saved the way the page saves it. */
  async function openPage(url = baseUrl, key: string | null = READ_KEY): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(url);
    await page.evaluate(
      ([storage, value]) => {
        const { localStorage } = globalThis as unknown as InPage;
        if (value === null) localStorage.removeItem(storage);
        else localStorage.setItem(storage, value);
      },
      [KEY_STORAGE, key] as const,
    );
    await page.reload();
    return page;
  }

  /** What POST /v1/search answers for one query, asked directly (not through the page). */
  async function apiSearch(query: string, topK: number): Promise<ApiHit[]> {
    const response = await fetch(`${baseUrl}/v1/search`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ query, top_k: topK }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { results: { hits: ApiHit[] }[] };
    return body.results[0]!.hits;
  }

  /** Waits for the page to finish a search (status line no longer "Searching…"), then reads the hits. */
  async function shownHits(page: Page): Promise<ShownHit[]> {
    await page.waitForFunction(
      () =>
        (globalThis as unknown as InPage).document.getElementById('results')?.getAttribute('aria-busy') !==
        'true',
    );
    return page.locator('#results > li').evaluateAll((items) =>
      items.map((item) => ({
        rank: item.querySelector('.rank .value')?.textContent ?? '',
        score: item.querySelector('.score .value')?.textContent ?? '',
        id: item.querySelector('.id .value')?.textContent ?? '',
        text: item.querySelector('.text')?.textContent ?? '',
      })),
    );
  }

  function expectedRows(hits: readonly ApiHit[]): ShownHit[] {
    return hits.map((hit, i) => ({
      rank: String(i + 1),
      score: hit.score.toFixed(3),
      id: hit.id,
      text: hit.payload?.text ?? '',
    }));
  }

  test('the page at / has a labelled query box, a top-k select and a submit button', async () => {
    const page = await openPage();
    assert.equal(await page.title(), 'Embedline search');
    await page.getByRole('searchbox', { name: 'Query' }).waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'Number of results' }).inputValue(), '10');
    await page.getByRole('button', { name: 'Search' }).waitFor();
    assert.equal(await page.locator('#results > li').count(), 0);
    await page.close();
  });

  test('type a query, click Search: the hits shown are what POST /v1/search returns, in order', async () => {
    const page = await openPage();
    const query = fixture.corpus[7]!.text;
    await page.getByRole('searchbox', { name: 'Query' }).fill(query);
    await page.getByRole('combobox', { name: 'Number of results' }).selectOption('20');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').getByText('20 results').waitFor();
    const shown = await shownHits(page);
    const expected = await apiSearch(query, 20);
    assert.equal(expected.length, 20);
    assert.deepEqual(shown, expectedRows(expected));
    assert.equal(shown[0]!.id, '7', 'a passage text as query finds that passage first');
    assert.ok(await page.locator('#error').isHidden(), 'no error shown after a good search');
    await page.close();
  });

  test('keyboard only: type and Enter; Tab to top-k, arrow to change it, Tab to Search, Enter', async () => {
    const page = await openPage();
    // The query box has autofocus: a user can start typing without clicking. Wait until it has focus:
    // typing earlier can lose keystrokes (the likely cause of one CI timeout on a busy machine).
    await page.waitForFunction(
      () => (globalThis as unknown as InPage).document.activeElement?.id === 'query',
    );
    await page.keyboard.type('transistor circuit logic');
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('10 results for “transistor circuit logic”').waitFor();
    assert.deepEqual(await shownHits(page), expectedRows(await apiSearch('transistor circuit logic', 10)));

    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id),
      'top-k',
    );
    await page.keyboard.press('ArrowDown'); // 10 -> 20
    assert.equal(await page.getByRole('combobox', { name: 'Number of results' }).inputValue(), '20');
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id),
      'submit',
    );
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('20 results for “transistor circuit logic”').waitFor();
    assert.deepEqual(await shownHits(page), expectedRows(await apiSearch('transistor circuit logic', 20)));
    await page.close();
  });

  test('a bad request (query over the length limit) shows the API error message, not results', async () => {
    const page = await openPage();
    await page.getByRole('searchbox', { name: 'Query' }).fill('memory '.repeat(40)); // 280 chars > 200
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = await alert.textContent();
    assert.match(message ?? '', /^Error 400 Bad Request: .*query.*200/);
    assert.equal(await page.locator('#results > li').count(), 0);

    // The next good search clears the error.
    await page.getByRole('searchbox', { name: 'Query' }).fill('memory');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').getByText('10 results').waitFor();
    assert.ok(await page.locator('#error').isHidden());
    await page.close();
  });

  test('a missing API key: 401 shown, the key field opens; the typed key is used and remembered', async () => {
    const page = await openPage(baseUrl, null);
    const queryBox = page.getByRole('searchbox', { name: 'Query' });
    await queryBox.fill('digital storage');
    await queryBox.press('Enter');
    await page
      .getByRole('alert')
      .getByText(/^Error 401 Unauthorized: an API key is required/)
      .waitFor();
    const keyField = page.getByLabel(/Read key/);
    assert.ok(await keyField.isVisible(), 'the key field is opened for the user');

    await keyField.fill(READ_KEY);
    await queryBox.press('Enter');
    await page.getByRole('status').getByText('10 results').waitFor();
    assert.deepEqual(await shownHits(page), expectedRows(await apiSearch('digital storage', 10)));
    await page.reload();
    assert.equal(await page.getByLabel(/Read key/).inputValue(), READ_KEY, 'kept in local storage');
    await page.close();
  });

  test('an empty collection shows the empty state', async () => {
    const empty = `empty-${process.pid}`;
    await fixture.store.createCollection(empty, { dimension: fixture.encoder.describe().dimension });
    const url = await listen({ defaultCollection: empty });
    const page = await openPage(url);
    await page.getByRole('searchbox', { name: 'Query' }).fill('memory');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').getByText('No results for “memory”.').waitFor();
    assert.equal(await page.locator('#results > li').count(), 0);
    assert.ok(await page.locator('#error').isHidden());
    await page.close();
  });

  test('a store outage (503) shows the error message', async () => {
    const down: VectorStore = new Proxy(fixture.store, {
      get(target, property, receiver) {
        if (property === 'search') return async () => Promise.reject(new Error('connect ECONNREFUSED'));
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const url = await listen({}, { store: down });
    const page = await openPage(url);
    await page.getByRole('searchbox', { name: 'Query' }).fill('memory');
    await page.getByRole('button', { name: 'Search' }).click();
    const message = await page.getByRole('alert').textContent();
    assert.match(message ?? '', /^Error 503 Service Unavailable: /);
    assert.equal(await page.locator('#results > li').count(), 0);
    await page.close();
  });

  test('a query longer than the model reads: the hits, and a note that only its beginning was searched', async () => {
    const url = await listen({ maxQueryChars: 5000 });
    const page = await openPage(url);
    const long = 'memory '.repeat(400).trim(); // 400 tokens: past the model's 384
    await page.getByRole('searchbox', { name: 'Query' }).fill(long);
    await page.getByRole('button', { name: 'Search' }).click();
    const status = page.getByRole('status');
    await status.getByText('only its beginning was searched').waitFor();
    assert.equal(await page.locator('#results > li').count(), 10);
    await page.getByRole('searchbox', { name: 'Query' }).fill('memory');
    await page.getByRole('button', { name: 'Search' }).click();
    await status.getByText('10 results for “memory”.', { exact: true }).waitFor();
    await page.close();
  });
});
