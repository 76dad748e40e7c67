import { Encoder } from './encoder.ts';
import type { EncoderOptions } from './encoder-options.ts';
import type { EncoderLogger } from './logger.ts';
import { resolveModel } from './model/resolve-model.ts';

/** The encoder settings the apps read from the environment (libs/config's schema names them). */
export interface EncoderSettings {
  readonly EMBEDLINE_MODEL_DIR?: string | undefined;
  readonly EMBEDLINE_MODEL_VARIANT: string;
  readonly EMBEDLINE_PROVIDER: 'cpu' | 'cuda' | 'auto';
  readonly EMBEDLINE_DEVICE_ID: number;
  readonly EMBEDLINE_MAX_BATCH_TOKENS: number;
  readonly EMBEDLINE_INTRA_OP_THREADS: number;
  readonly EMBEDLINE_INTRA_OP_SPINNING: boolean;
  readonly EMBEDLINE_ALLOW_REFERENCE_MODEL: boolean;
}

export interface OpenEncoderOptions {
  /** What a command line sets over the environment (a worker's --model-dir, --provider, ...); undefined ones are ignored. */
  readonly overrides?: { readonly [K in keyof EncoderOptions]?: EncoderOptions[K] | undefined };
  readonly log: EncoderLogger;
  /** Told when the bundled reference model stands in for the real one (default: `log.warn`). */
  readonly onReferenceModel?: (warning: string) => void;
}

/**
 * What every app that embeds does at start: finds the model the settings name (their folder, else the
 * Hugging Face cache, else the hub, else the bundled reference model when allowed) and loads an encoder
 * on it with the settings' tuning, a command line's overrides on top.
 */
export async function openEncoder(settings: EncoderSettings, options: OpenEncoderOptions): Promise<Encoder> {
  const { log } = options;
  const overrides = Object.fromEntries(
    Object.entries(options.overrides ?? {}).filter(([, value]) => value !== undefined),
  ) as Partial<EncoderOptions>;
  const variant = overrides.variant ?? settings.EMBEDLINE_MODEL_VARIANT;
  const model = await resolveModel({
    modelDir: overrides.modelDir ?? settings.EMBEDLINE_MODEL_DIR,
    variant,
    allowReferenceFallback: settings.EMBEDLINE_ALLOW_REFERENCE_MODEL,
    log: (message) => log.info(message),
  });
  if (model.warning !== undefined)
    (options.onReferenceModel ?? ((warning) => log.warn(warning)))(model.warning);
  return Encoder.load(
    {
      provider: settings.EMBEDLINE_PROVIDER,
      deviceId: settings.EMBEDLINE_DEVICE_ID,
      maxBatchTokens: settings.EMBEDLINE_MAX_BATCH_TOKENS,
      intraOpThreads: settings.EMBEDLINE_INTRA_OP_THREADS,
      intraOpSpinning: settings.EMBEDLINE_INTRA_OP_SPINNING,
      ...overrides,
      modelDir: model.dir,
      variant,
    },
    log,
  );
}
