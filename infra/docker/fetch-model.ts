/**
 * Bakes a model into an image at build time: downloads the sentence-transformers files Embedline
 * loads (config, tokenizer, pooling, and one ONNX file per variant) from the Hugging Face Hub with
 * the encoder's own downloader, and copies them, symlinks resolved, into a plain folder that
 * EMBEDLINE_MODEL_DIR points at. HF_ENDPOINT and HF_TOKEN are honoured as everywhere else.
 *
 *   node --import tsx infra/docker/fetch-model.ts <repo> <revision> <variant[,variant...]> <out-dir>
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelFiles, pullModel } from '@embedline/encoder';

const [repo, revision = 'main', variants = 'fp32', out] = process.argv.slice(2);
if (!repo || !out) {
  console.error('usage: fetch-model.ts <repo> <revision> <variant[,variant...]> <out-dir>');
  process.exit(2);
}

const cacheDir = mkdtempSync(join(tmpdir(), 'embedline-model-'));
try {
  for (const variant of variants
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)) {
    const pulled = await pullModel({
      repo,
      revision,
      cacheDir,
      include: defaultModelFiles(variant),
      log: (message) => console.log(message),
    });
    // The hub cache keeps files as symlinks into blobs/: copy the targets, not the links.
    cpSync(pulled.dir, out, { recursive: true, dereference: true });
    console.log(`${repo}@${pulled.commit.slice(0, 12)} (${variant}) -> ${out}`);
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
