import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnbatched } from './api-section.ts';
import { median } from './format.ts';
import { commandLine, selectAreas, stepsFor } from './plan.ts';
import { escapeXml, niceTicks, renderLineChart } from './svg.ts';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, ignoring non-finite values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([5, Number.NaN, 1, 3]), 3);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('plan', () => {
  it('selects areas in run order, expanding "pipeline"', () => {
    assert.deepEqual(selectAreas('api, pipeline,encoder'), [
      'encoder',
      'overhead',
      'plumbing',
      'scale',
      'api',
    ]);
    assert.deepEqual(selectAreas(undefined), ['encoder', 'budgets', 'overhead', 'plumbing', 'scale', 'api']);
  });

  it('rejects an unknown area by name', () => {
    assert.throws(() => selectAreas('encoder,gpus'), /unknown area "gpus"/);
  });

  it('uses 3 runs by default, 1 and small sizes in quick mode, and --runs over both', () => {
    assert.deepEqual(stepsFor('plumbing', { quick: false })[0]!.args, ['--runs', '3']);
    assert.deepEqual(stepsFor('scale', { quick: true })[0]!.args, ['--runs', '1', '--sizes', '1000,2000']);
    assert.deepEqual(stepsFor('encoder', { quick: true, runs: 2 })[0]!.args, [
      '--runs',
      '2',
      '--passages',
      '500',
      '--model',
      'libs/encoder/fixtures/tiny-model',
    ]);
    assert.deepEqual(
      stepsFor('budgets', { quick: false }).map((s) => s.budget),
      [4096, 16384, 65536],
    );
  });

  it('quotes arguments the shell would split', () => {
    const [step] = stepsFor('budgets', { quick: true });
    assert.equal(
      commandLine(step!),
      `npx tsx bench/encoder/run.ts --systems embedline --runs 1 --passages 500 --model libs/encoder/fixtures/tiny-model --encoder-options '{"maxBatchTokens":4096,"maxBatchSize":1024}' --out bench/out/budget-4096`,
    );
  });
});

describe('svg', () => {
  it('escapes text for XML', () => {
    assert.equal(escapeXml(`a<b & "c" 'd'>`), 'a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
  });

  it('picks round ticks that cover the maximum', () => {
    assert.deepEqual(niceTicks(37), [0, 10, 20, 30, 40]);
    assert.deepEqual(niceTicks(3727), [0, 1000, 2000, 3000, 4000]);
    assert.deepEqual(niceTicks(0), [0, 1]);
  });

  it('places points on the chart: y grows upwards, x on a log scale when asked', () => {
    const svg = renderLineChart({
      title: 'T & <U>',
      xLabel: 'x',
      yLabel: 'y',
      logX: true,
      width: 600,
      height: 400,
      series: [
        {
          label: 's',
          points: [
            { x: 1, y: 10 },
            { x: 4, y: 20 },
            { x: 16, y: 40 },
          ],
        },
      ],
    });
    assert.ok(svg.includes('<title>T &amp; &lt;U&gt;</title>'));
    const [, points] = /<polyline [^>]*points="([^"]+)"/.exec(svg)!;
    const xy = points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    // log2: 1 -> 0, 4 -> 2, 16 -> 4: equal steps in x
    assert.ok(Math.abs(xy[1]![0] - xy[0]![0] - (xy[2]![0] - xy[1]![0])) < 0.2);
    // y: larger values are higher on the page (smaller SVG y)
    assert.ok(xy[0]![1] > xy[1]![1] && xy[1]![1] > xy[2]![1]);
  });

  it('refuses a chart with nothing to draw, or a log axis with x <= 0', () => {
    assert.throws(
      () => renderLineChart({ title: 'empty', xLabel: '', yLabel: '', series: [] }),
      /no finite points/,
    );
    assert.throws(
      () =>
        renderLineChart({
          title: 'log',
          xLabel: '',
          yLabel: '',
          logX: true,
          series: [{ label: 'a', points: [{ x: 0, y: 1 }] }],
        }),
      /log x needs x > 0/,
    );
  });
});

describe('api modes', () => {
  it('tells one-at-a-time modes from micro-batched ones', () => {
    for (const m of ['one at a time', 'unbatched', 'no-batching', 'single', 'micro-batching off'])
      assert.ok(isUnbatched(m), m);
    for (const m of ['micro-batched', 'batched', 'microbatch']) assert.ok(!isUnbatched(m), m);
  });
});
