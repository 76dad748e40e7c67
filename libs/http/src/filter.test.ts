import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFilterFields, matchesFilter } from './filter.ts';

const hit = { id: '7', score: 0.5, payload: { text: 'a passage', lang: 'en', year: 2004, draft: false } };

describe('filter language', () => {
  test('a bare value means equal, with strict types', () => {
    assert.equal(matchesFilter(hit, { lang: 'en' }), true);
    assert.equal(matchesFilter(hit, { lang: 'de' }), false);
    assert.equal(matchesFilter(hit, { year: '2004' }), false, 'a string never equals a number');
    assert.equal(matchesFilter(hit, { draft: false }), true);
    assert.equal(matchesFilter(hit, { id: '7' }), true);
  });

  test('eq, ne, in and ranges; all conditions must hold', () => {
    assert.equal(matchesFilter(hit, { lang: { in: ['de', 'en'] } }), true);
    assert.equal(matchesFilter(hit, { lang: { ne: 'en' } }), false);
    assert.equal(
      matchesFilter(hit, { missing: { ne: 'x' } }),
      true,
      'a point without the field is not equal',
    );
    assert.equal(matchesFilter(hit, { year: { gte: 2004, lt: 2005 } }), true);
    assert.equal(matchesFilter(hit, { year: { gt: 2004 } }), false);
    assert.equal(matchesFilter(hit, { lang: { gte: 0 } }), false, 'a range never matches a non-number');
    assert.equal(matchesFilter(hit, { lang: 'en', year: { lte: 2003 } }), false);
  });

  test('a field the collection does not have is a 400 listing those it has', () => {
    const known = new Set(['id', 'text', 'lang']);
    assert.doesNotThrow(() => checkFilterFields({ lang: 'en', id: '1' }, known, 'docs'));
    assert.throws(
      () => checkFilterFields({ colour: 'red' }, known, 'docs'),
      (error: Error & { statusCode?: number }) =>
        error.statusCode === 400 &&
        /filter field "colour" is not a field of collection "docs" \(its fields: id, lang, text\)/.test(
          error.message,
        ),
    );
  });
});
