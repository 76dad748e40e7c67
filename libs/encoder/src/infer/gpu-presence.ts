import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const PROVIDER_LIBRARY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

/**
 * Why `auto` should not try CUDA on this machine, or undefined when it should. Checked before asking
 * onnxruntime, because a failed CUDA session prints onnxruntime's own multi-line error on every CPU-only host.
 */
export function gpuUnavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const visible = env.CUDA_VISIBLE_DEVICES?.trim();
  if (visible === '' || visible === '-1') return `CUDA_VISIBLE_DEVICES=${JSON.stringify(env.CUDA_VISIBLE_DEVICES)} hides every GPU`;
  const library = PROVIDER_LIBRARY[process.platform];
  if (library === undefined) return `onnxruntime-node has no CUDA provider on ${process.platform}`;
  const binaries = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  if (!existsSync(join(binaries, library))) {
    return `${library} is not installed beside onnxruntime (${binaries}); see docs/gpu.md`;
  }
  if (process.platform === 'linux' && !existsSync('/proc/driver/nvidia/version')) return 'no NVIDIA driver loaded';
  return undefined;
}
