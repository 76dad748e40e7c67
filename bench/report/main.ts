/**
 * Writes bench/REPORT.md (and its SVG plots beside it) from the JSON results in bench/results.
 * Runs no benchmark: `npm run bench` runs them first, then this.
 *
 *   npx tsx bench/report/main.ts [--results bench/results] [--out bench/REPORT.md]
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildReport, writeReport } from './render.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

try {
  const { values } = parseArgs({
    options: {
      results: { type: 'string', default: 'bench/results' },
      out: { type: 'string', default: 'bench/REPORT.md' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log('usage: npx tsx bench/report/main.ts [--results bench/results] [--out bench/REPORT.md]');
    process.exit(0);
  }
  const out = resolve(root, values.out);
  const report = buildReport({ resultsDir: resolve(root, values.results) });
  await writeReport(report, out);
  console.error(
    `[bench:report] written ${relative(root, out)}` +
      (report.plots.length > 0
        ? ` and ${report.plots.map((p) => p.file).join(', ')} beside it`
        : ' (no plots: no data for any)'),
  );
} catch (error) {
  console.error(`[bench:report] ${(error as Error).message}`);
  process.exitCode = 2;
}
