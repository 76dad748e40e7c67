import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encoderFigures, encoderSection } from './encoder-sections.ts';

const FIXTURE = new URL('./fixtures/results/encoder.json', import.meta.url);

/** The fixture encoder.json with our encoder's runs' settings replaced. */
function withOurSettings(settings: unknown): unknown {
  const report = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
    systems: { system: string; runs: { settings: unknown }[] }[];
  };
  for (const s of report.systems) if (s.system === 'embedline') for (const r of s.runs) r.settings = settings;
  return report;
}

describe('encoder section: our encoder on an ONNX variant (bench/encoder/run.ts --variant)', () => {
  it("names the variant in our row, beside the peers' rows and ratios", () => {
    const report = withOurSettings({ variant: 'O2', maxBatchTokens: 16384 });
    const labels = encoderFigures(report).map((f) => f.label);
    assert.deepEqual(labels, ['embedline (ours, O2)', 'transformers.js', 'sentence-transformers']);
    const { lines } = encoderSection(report);
    assert.ok(
      lines.some((l) =>
        /^\| embedline \(ours, O2\) \| 10\.00 \/ 12\.00 \/ 11\.00 \| 11\.00 \| 18\.2 \| 1,364 \| 3\.00x \| 2\.00x \|/.test(
          l,
        ),
      ),
      lines.join('\n'),
    );
  });

  it('keeps the plain label for fp32, for no variant, and for a malformed one', () => {
    for (const settings of [{ variant: 'fp32' }, {}, { variant: 2 }]) {
      assert.equal(encoderFigures(withOurSettings(settings))[0]!.label, 'embedline (ours)');
    }
  });
});
