import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_REFERENCE_MODEL_DIR, Encoder } from '@embedline/encoder';
import { PrivateRedis } from './private-redis.ts';

/** What the in-process pipeline suites share: a private Redis, a folder of their own, the bundled reference encoder. */
export interface SuiteResources {
  readonly redis: PrivateRedis;
  readonly dir: string;
  readonly encoder: Encoder;
}

const quiet = { info: () => undefined, warn: () => undefined };

/** Starts them (in a suite's `before`); `name` names the folder, `embedline-<name>-XXXXXX` under the temp folder. */
export async function startSuiteResources(name: string): Promise<SuiteResources> {
  const redis = await PrivateRedis.start();
  const dir = mkdtempSync(join(tmpdir(), `embedline-${name}-`));
  const encoder = await Encoder.load({ modelDir: BUNDLED_REFERENCE_MODEL_DIR, intraOpThreads: 1 }, quiet);
  return { redis, dir, encoder };
}

/** Stops and removes them (in the suite's `after`). */
export async function disposeSuiteResources({ redis, dir, encoder }: SuiteResources): Promise<void> {
  await encoder.close();
  await redis.dispose();
  rmSync(dir, { recursive: true, force: true });
}
