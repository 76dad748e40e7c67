import { envSchema } from '@embedline/config';
import { listFiles, readEnvFile, readYaml, readYamlDocuments, INFRA_DIR } from './infra-files.ts';

/** The parts of Kubernetes objects these tests read (the schemas check the rest). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec?: unknown;
  readonly data?: Record<string, string>;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
}

export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly envFrom?: {
    readonly configMapRef?: { readonly name: string };
    readonly secretRef?: { readonly name: string };
  }[];
  readonly ports?: { readonly name?: string; readonly containerPort: number }[];
  readonly resources?: {
    readonly limits?: Record<string, string | number>;
    readonly requests?: Record<string, string | number>;
  };
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { readonly preStop?: { readonly sleep?: { readonly seconds: number } } };
}

export interface PodTemplate {
  readonly metadata?: {
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: { readonly containers: Container[]; readonly terminationGracePeriodSeconds?: number };
}

export interface Kustomization {
  readonly resources: string[];
  readonly secretGenerator?: { readonly name: string; readonly envs: string[] }[];
  readonly images?: { readonly name: string; readonly newTag: string }[];
}

export const K8S_DIR = 'infra/k8s';
export const KUSTOMIZATION = `${K8S_DIR}/kustomization.yaml`;
export const QDRANT_VALUES = `${K8S_DIR}/qdrant/values.yaml`;
export const OVERLAYS_DIR = `${K8S_DIR}/overlays`;

/**
 * Every Kubernetes object of the base in infra/k8s (kustomization.yaml and the Helm values are not
 * objects; overlays/ holds patches, see loadOverlay).
 */
export function loadKubernetesObjects(): { file: string; object: KubeObject }[] {
  return listFiles(`${INFRA_DIR}/k8s`, (name) => name.endsWith('.yaml'))
    .filter((file) => file !== KUSTOMIZATION && file !== QDRANT_VALUES && !file.startsWith(`${OVERLAYS_DIR}/`))
    .flatMap((file) => readYamlDocuments(file).map((object) => ({ file, object: object as KubeObject })));
}

/**
 * The objects an overlay of infra/k8s/overlays renders, as `kubectl apply -k` would for what the overlays
 * here use: the base's objects, each patch merged into the object of the same kind and name. Patches are
 * applied as JSON merge patches (RFC 7386: maps merge, lists are replaced), which is what kustomize does
 * for custom resources and, for the maps of a ConfigMap, what its strategic merge does too.
 */
export function loadOverlay(name: string): KubeObject[] {
  const dir = `${OVERLAYS_DIR}/${name}`;
  const kustomization = readYaml(`${dir}/kustomization.yaml`) as { resources: string[]; patches: { path: string }[] };
  if (JSON.stringify(kustomization.resources) !== JSON.stringify(['../..'])) {
    throw new Error(`${dir}/kustomization.yaml: resources should be the base only (../..)`);
  }
  let objects = loadKubernetesObjects().map(({ object }) => object);
  for (const { path } of kustomization.patches) {
    const patch = readYaml(`${dir}/${path}`) as KubeObject;
    const target = (o: KubeObject) => o.kind === patch.kind && o.metadata.name === patch.metadata.name;
    if (!objects.some(target)) throw new Error(`${dir}/${path}: no ${patch.kind} ${patch.metadata.name} in the base`);
    objects = objects.map((o) => (target(o) ? (mergePatch(o, patch) as KubeObject) : o));
  }
  return objects;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const merged: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = mergePatch(merged[key], value);
  }
  return merged;
}

export function loadKustomization(): Kustomization {
  return readYaml(KUSTOMIZATION) as Kustomization;
}

/** The pod template of a Deployment or Job, else undefined. */
export function podTemplateOf(object: KubeObject): PodTemplate | undefined {
  if (object.kind !== 'Deployment' && object.kind !== 'Job') return undefined;
  return (object.spec as { template: PodTemplate }).template;
}

/**
 * The environment a container gets: its envFrom ConfigMaps (from infra/k8s) and Secrets (from the
 * committed `<env file>.example` of the kustomization's secretGenerator), then its own `env`.
 */
export function containerEnvironment(
  container: Container,
  objects: KubeObject[],
  kustomization: Kustomization,
): Map<string, string> {
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const configMap = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef?.name,
      );
      if (!configMap)
        throw new Error(
          `container ${container.name}: envFrom ConfigMap ${source.configMapRef.name} is not in infra/k8s`,
        );
      for (const [key, value] of Object.entries(configMap.data ?? {})) env.set(key, value);
    }
    if (source.secretRef) {
      const generator = kustomization.secretGenerator?.find((g) => g.name === source.secretRef?.name);
      if (!generator)
        throw new Error(
          `container ${container.name}: envFrom Secret ${source.secretRef.name} is not generated by the kustomization`,
        );
      for (const file of generator.envs)
        for (const [key, value] of readEnvFile(`${K8S_DIR}/${file}.example`)) env.set(key, value);
    }
  }
  for (const variable of container.env ?? []) env.set(variable.name, variable.value ?? '');
  return env;
}

const KNOWN_VARIABLES = new Set(Object.keys(envSchema.shape));
/** Variables the runtime reads, not the apps, that a manifest may set: glibc's malloc arena count. */
export const RUNTIME_VARIABLES = new Set(['MALLOC_ARENA_MAX']);

/** Names in `env` that neither an Embedline app (libs/config's envSchema) nor the runtime reads. */
export function unknownVariables(env: Iterable<string>): string[] {
  return [...env].filter((name) => !KNOWN_VARIABLES.has(name) && !RUNTIME_VARIABLES.has(name));
}

/** The problems envSchema finds in these values (a bad enum, a non-URL, a non-number), or []. */
export function invalidValues(env: Map<string, string>): string[] {
  const parsed = envSchema.safeParse(Object.fromEntries(env));
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** A variable's value as the app sees it: set here, else the schema's default. */
export function effectiveValue<K extends keyof typeof envSchema.shape>(
  env: Map<string, string>,
  name: K,
): unknown {
  return envSchema.shape[name].parse(env.get(name));
}
