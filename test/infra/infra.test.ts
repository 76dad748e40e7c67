/**
 * Static validation of infra/ (no Docker engine or cluster needed): every YAML file parses cleanly and
 * passes a schema for its kind, and the environment variables, ports, queue keys and CLI flags used by
 * the Dockerfiles, compose file, Kubernetes manifests and docs/operations.md are the ones the apps read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { QueueKeys } from 'bullmq';
import { QUEUES, checkRedisSettings } from '@embedline/queue';
import { envOf, execForm, parseDockerfile } from './dockerfile.ts';
import {
  INFRA_DIR,
  REPO_ROOT,
  listFiles,
  readEnvFile,
  readYaml,
  readYamlDocuments,
  repoPath,
} from './infra-files.ts';
import {
  K8S_DIR,
  KUSTOMIZATION,
  QDRANT_VALUES,
  containerEnvironment,
  effectiveValue,
  invalidValues,
  loadKubernetesObjects,
  loadKustomization,
  loadOverlay,
  podTemplateOf,
  unknownVariables,
  type Container,
  type KubeObject,
} from './manifests.ts';
import {
  kustomizationSchema,
  qdrantValuesSchema,
  validateCompose,
  validateKubernetesDefinition,
  validateKubernetesObject,
} from './schemas.ts';

const COMPOSE = 'infra/compose.yaml';
const DOCKERFILES = {
  api: 'api',
  producer: 'producer',
  'worker-cpu': 'worker',
  'worker-gpu': 'worker',
} as const;
const API_PORT = Number(effectiveValue(new Map(), 'EMBEDLINE_API_PORT'));

interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string };
  readonly environment?: Record<string, string | number | boolean>;
  readonly command?: string[] | string;
  readonly ports?: string[];
  readonly volumes?: ({ readonly type: string; readonly source: string; readonly target: string } | string)[];
  readonly healthcheck?: { readonly test: string[] };
  readonly profiles?: string[];
  readonly depends_on?: Record<string, { condition: string }>;
  readonly deploy?: {
    readonly resources?: {
      readonly reservations?: {
        readonly devices?: {
          driver: string;
          device_ids?: string[];
          count?: number;
          capabilities: string[];
        }[];
      };
    };
  };
  readonly restart?: string;
}
type ComposeFile = { readonly services: Record<string, ComposeService> };

const compose = () => readYaml(COMPOSE) as ComposeFile;
const composeEnv = (service: ComposeService) =>
  new Map(Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value)]));

describe('every YAML file under infra/ parses cleanly', () => {
  for (const file of listFiles(INFRA_DIR, (name) => name.endsWith('.yaml') || name.endsWith('.yml'))) {
    test(file, () => assert.ok(readYamlDocuments(file).length > 0, `${file} has no document`));
  }
});

describe('schema checks', () => {
  test('compose.yaml passes the Compose Specification schema', () => {
    assert.equal(validateCompose(readYaml(COMPOSE)), undefined);
  });

  const objects = loadKubernetesObjects();
  for (const { file, object } of objects) {
    test(`${file}: ${object.kind} ${object.metadata.name} passes its strict schema`, () => {
      assert.equal(validateKubernetesObject(object), undefined);
    });
  }

  test('kustomization.yaml is well-formed and lists exactly the manifests in infra/k8s', () => {
    const kustomization = kustomizationSchema.parse(readYaml(KUSTOMIZATION));
    const manifests = new Set(objects.map(({ file }) => file.slice(K8S_DIR.length + 1)));
    assert.deepEqual(new Set(kustomization.resources), manifests);
    for (const generator of kustomization.secretGenerator ?? []) {
      for (const envFile of generator.envs) {
        assert.ok(
          existsSync(repoPath(K8S_DIR, `${envFile}.example`)),
          `${envFile}.example (the template of ${envFile}) is committed`,
        );
        const ignored = readFileSync(repoPath(K8S_DIR, '.gitignore'), 'utf8').split('\n');
        assert.ok(ignored.includes(envFile), `${envFile} (real secrets) is gitignored`);
      }
    }
  });

  test('every image used by a workload is pinned by the kustomization', () => {
    const pinned = new Set(loadKustomization().images?.map((i) => i.name));
    for (const { object } of objects) {
      for (const container of podTemplateOf(object)?.spec.containers ?? [])
        assert.ok(pinned.has(container.image), `${container.image} has a tag in kustomization images`);
    }
  });

  test('the Qdrant chart values: 3 nodes, cluster mode, replication 2, one pod per node', () => {
    const values = qdrantValuesSchema.parse(readYaml(QDRANT_VALUES));
    assert.equal(values.replicaCount, 3);
    assert.equal(values.config.cluster.enabled, true);
    assert.equal(values.config.storage.collection.replication_factor, 2);
    assert.equal(validateKubernetesDefinition('io.k8s.api.core.v1.Affinity', values.affinity), undefined);
  });
});

describe('the validators reject what they should (each check can fail)', () => {
  const api = loadKubernetesObjects().find(
    ({ object }) => object.kind === 'Deployment' && object.metadata.name === 'embedline-api',
  )?.object;
  assert.ok(api, 'infra/k8s has the embedline-api Deployment');

  test('an unknown field in a Deployment', () => {
    const broken = structuredClone(api) as unknown as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    (broken.spec.template.spec.containers[0] as Record<string, unknown>).readinesProbe = {
      httpGet: { path: '/readyz', port: 8080 },
    };
    assert.match(validateKubernetesObject(broken as unknown as KubeObject) ?? '', /readinesProbe/);
  });

  test('a wrong type in a Deployment', () => {
    const broken = structuredClone(api) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    assert.match(validateKubernetesObject(broken as unknown as KubeObject) ?? '', /replicas/);
  });

  test('a misspelt redis scaler key in a ScaledObject', () => {
    const scaledObject = loadKubernetesObjects().find(({ object }) => object.kind === 'ScaledObject')?.object;
    const broken = structuredClone(scaledObject) as unknown as {
      spec: { triggers: { metadata: Record<string, string> }[] };
    };
    const metadata = broken.spec.triggers[0]?.metadata as Record<string, string>;
    metadata.listname = metadata.listName as string;
    delete metadata.listName;
    assert.match(validateKubernetesObject(broken as unknown as KubeObject) ?? '', /listname|listName/);
  });

  test('an unknown key in a compose service', () => {
    const broken = structuredClone(compose()) as { services: Record<string, Record<string, unknown>> };
    (broken.services.api as Record<string, unknown>).enviroment = {};
    assert.match(validateCompose(broken) ?? '', /enviroment/);
  });

  test('an environment variable no app reads, and a value the schema refuses', () => {
    assert.deepEqual(unknownVariables(['EMBEDLINE_API_PORT', 'EMBEDLINE_API_PORTT']), [
      'EMBEDLINE_API_PORTT',
    ]);
    assert.equal(invalidValues(new Map([['EMBEDLINE_PROVIDER', 'gpu']])).length, 1);
  });
});

describe('environment variables: exactly those the apps read (libs/config envSchema), with valid values', () => {
  const kustomization = loadKustomization();
  const objects = loadKubernetesObjects().map(({ object }) => object);

  for (const object of objects) {
    for (const container of podTemplateOf(object)?.spec.containers ?? []) {
      test(`k8s ${object.kind} ${object.metadata.name}/${container.name}`, () => {
        const env = containerEnvironment(container, objects, kustomization);
        assert.deepEqual(unknownVariables(env.keys()), []);
        assert.deepEqual(invalidValues(env), []);
      });
    }
  }

  test('k8s ConfigMap and secret templates hold only app variables', () => {
    for (const object of objects.filter((o) => o.kind === 'ConfigMap'))
      assert.deepEqual(unknownVariables(Object.keys(object.data ?? {})), []);
    const appSecrets = kustomization.secretGenerator?.find((g) => g.name === 'embedline-secrets');
    assert.ok(appSecrets, 'the kustomization generates embedline-secrets');
    for (const file of appSecrets.envs)
      assert.deepEqual(unknownVariables(readEnvFile(`${K8S_DIR}/${file}.example`).keys()), []);
  });

  for (const [name, service] of Object.entries(compose().services)) {
    test(`compose service ${name}`, () => {
      const env = composeEnv(service);
      assert.deepEqual(unknownVariables(env.keys()), []);
      assert.deepEqual(invalidValues(env), []);
    });
  }

  for (const image of Object.keys(DOCKERFILES)) {
    test(`infra/docker/${image}.Dockerfile ENV`, () => {
      const { stages } = parseDockerfile(`infra/docker/${image}.Dockerfile`);
      const env = new Map(
        stages
          .flatMap((s) => s.instructions)
          .filter((i) => i.keyword === 'ENV')
          .flatMap((i) => [...envOf(i)]),
      );
      assert.deepEqual(unknownVariables(env.keys()), []);
      assert.deepEqual(invalidValues(env), []);
    });
  }

  test('docs/operations.md names only variables the apps read', () => {
    const names = new Set(
      readFileSync(repoPath('docs/operations.md'), 'utf8').match(/\b(?:EMBEDLINE|QDRANT)_[A-Z0-9_]+\b/g) ??
        [],
    );
    names.delete('EMBEDLINE_HOST_MODEL_DIR'); // compose's interpolation variable (a host path), not an app setting
    assert.deepEqual(unknownVariables(names), []);
  });
});

describe('ports, probes and scrape annotations match the apps', () => {
  const objects = loadKubernetesObjects().map(({ object }) => object);
  const kustomization = loadKustomization();
  const apiDeployment = objects.find(
    (o) => o.kind === 'Deployment' && o.metadata.name === 'embedline-api',
  ) as KubeObject;
  const template = podTemplateOf(apiDeployment);
  const container = template?.spec.containers[0] as Container;

  test(`the API listens on EMBEDLINE_API_PORT (default ${API_PORT}) everywhere`, () => {
    const port = Number(
      effectiveValue(containerEnvironment(container, objects, kustomization), 'EMBEDLINE_API_PORT'),
    );
    assert.equal(port, API_PORT, 'k8s sets the default port');
    assert.deepEqual(
      container.ports?.map((p) => p.containerPort),
      [port],
    );
    assert.equal(template?.metadata?.annotations?.['prometheus.io/port'], String(port));
    assert.equal(template?.metadata?.annotations?.['prometheus.io/scrape'], 'true');
    assert.equal(template?.metadata?.annotations?.['prometheus.io/path'], '/metrics');

    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'embedline-api');
    const servicePorts = (service?.spec as { ports: { port: number; targetPort: string | number }[] }).ports;
    for (const p of servicePorts)
      assert.ok(
        container.ports?.some((c) => c.name === p.targetPort || c.containerPort === p.targetPort),
        `Service targetPort ${p.targetPort} is a container port`,
      );

    const api = compose().services.api as ComposeService;
    const composePort = Number(effectiveValue(composeEnv(api), 'EMBEDLINE_API_PORT'));
    assert.equal(composePort, API_PORT);
    assert.ok(
      api.ports?.every((mapping) => mapping.endsWith(`:${composePort}`)),
      'compose publishes the container port',
    );
    assert.ok(
      api.healthcheck?.test.join(' ').includes(`:${composePort}/readyz`),
      'compose health-checks /readyz on that port',
    );

    const dockerfile = parseDockerfile('infra/docker/api.Dockerfile');
    const runtime = dockerfile.stages.at(-1)?.instructions ?? [];
    const imagePort = Number(
      effectiveValue(
        new Map(runtime.filter((i) => i.keyword === 'ENV').flatMap((i) => [...envOf(i)])),
        'EMBEDLINE_API_PORT',
      ),
    );
    assert.deepEqual(
      runtime.filter((i) => i.keyword === 'EXPOSE').map((i) => Number(i.args)),
      [imagePort],
    );
    assert.equal(imagePort, API_PORT);
  });

  test('probes: liveness /healthz, readiness /readyz', () => {
    assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
  });

  test("the API's pods keep serving while endpoints are removed, then get the time to drain", () => {
    const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    assert.ok(preStop >= 3, `a preStop sleep of a few seconds (got ${preStop})`);
    const env = containerEnvironment(container, objects, kustomization);
    const drainMs = Number(effectiveValue(env, 'EMBEDLINE_API_SHUTDOWN_GRACE_MS'));
    // Kubernetes' default grace is 30 s; it counts the preStop hook too.
    const grace = template?.spec.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace > preStop + drainMs / 1000, `terminationGracePeriodSeconds ${grace} <= preStop ${preStop} s + drain ${drainMs} ms`);
  });

  test('the producer image exposes no port', () => {
    const instructions = parseDockerfile('infra/docker/producer.Dockerfile').stages.flatMap((s) => s.instructions);
    assert.deepEqual(instructions.filter((i) => i.keyword === 'EXPOSE'), []);
  });

  test('workers serve /healthz, /readyz and /metrics on EMBEDLINE_WORKER_METRICS_PORT in every image, pod and service', () => {
    for (const image of ['worker-cpu', 'worker-gpu']) {
      const runtime = parseDockerfile(`infra/docker/${image}.Dockerfile`).stages.at(-1)?.instructions ?? [];
      const env = new Map(runtime.filter((i) => i.keyword === 'ENV').flatMap((i) => [...envOf(i)]));
      const port = Number(effectiveValue(env, 'EMBEDLINE_WORKER_METRICS_PORT'));
      assert.ok(port > 0, `${image} sets EMBEDLINE_WORKER_METRICS_PORT`);
      assert.deepEqual(runtime.filter((i) => i.keyword === 'EXPOSE').map((i) => Number(i.args)), [port], image);
    }
    for (const name of ['embedline-worker-gpu', 'embedline-worker-finalize']) {
      const worker = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as KubeObject;
      const workerTemplate = podTemplateOf(worker);
      const workerContainer = workerTemplate?.spec.containers[0] as Container;
      const port = Number(effectiveValue(containerEnvironment(workerContainer, objects, kustomization), 'EMBEDLINE_WORKER_METRICS_PORT'));
      assert.ok(port > 0, `${name} sets EMBEDLINE_WORKER_METRICS_PORT`);
      assert.deepEqual(workerContainer.ports?.map((p) => p.containerPort), [port], name);
      assert.equal(workerTemplate?.metadata?.annotations?.['prometheus.io/port'], String(port), name);
      assert.equal(workerTemplate?.metadata?.annotations?.['prometheus.io/scrape'], 'true', name);
      assert.equal(workerTemplate?.metadata?.annotations?.['prometheus.io/path'], '/metrics', name);
      assert.equal(workerContainer.livenessProbe?.httpGet?.path, '/healthz', name);
      assert.equal(workerContainer.readinessProbe?.httpGet?.path, '/readyz', name);
      const metricsPort = workerContainer.ports?.find((p) => p.containerPort === port);
      assert.ok([port, metricsPort?.name].includes(workerContainer.livenessProbe?.httpGet?.port as string | number), `${name}: liveness probes that port`);
    }
    for (const name of ['worker', 'worker-gpu']) {
      const service = compose().services[name] as ComposeService;
      const composePort = Number(effectiveValue(composeEnv(service), 'EMBEDLINE_WORKER_METRICS_PORT'));
      assert.ok(composePort > 0, `compose ${name} sets EMBEDLINE_WORKER_METRICS_PORT`);
      assert.ok(service.healthcheck?.test.join(' ').includes(`:${composePort}/readyz`), `compose ${name} health-checks /readyz`);
    }
  });

  test('GPU workers (scaled to zero by KEDA) only embed; one CPU Deployment without a GPU finalizes', () => {
    const queuesOf = (deployment: KubeObject) => {
      const container = podTemplateOf(deployment)?.spec.containers[0] as Container;
      return String(effectiveValue(containerEnvironment(container, objects, kustomization), 'EMBEDLINE_WORKER_QUEUES') ?? 'shards,finalize');
    };
    const workers = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('embedline-worker'));
    const finalizers = workers.filter((w) => queuesOf(w).split(',').includes('finalize'));
    assert.deepEqual(finalizers.map((w) => w.metadata.name), ['embedline-worker-finalize']);
    assert.equal(queuesOf(workers.find((w) => w.metadata.name === 'embedline-worker-gpu') as KubeObject), 'shards');
    const finalizer = finalizers[0] as KubeObject;
    assert.equal((finalizer.spec as { replicas?: number }).replicas, 1);
    const container = podTemplateOf(finalizer)?.spec.containers[0] as Container & { resources?: { limits?: Record<string, unknown> } };
    assert.equal(container.resources?.limits?.['nvidia.com/gpu'], undefined, 'the finalizer asks for no GPU');
    const env = containerEnvironment(container, objects, kustomization);
    assert.equal(env.get('MALLOC_ARENA_MAX'), '2', 'the finalizer bounds glibc malloc arenas (LanceDB memory)');
  });

  test('Redis and Qdrant addresses agree across compose, the ConfigMap and KEDA', () => {
    const configMap = objects.find((o) => o.kind === 'ConfigMap')?.data ?? {};
    assert.equal(new URL(configMap.QDRANT_URL as string).port, '6333');
    const secrets = readEnvFile(`${K8S_DIR}/secrets.env.example`);
    const redis = new URL(secrets.get('EMBEDLINE_REDIS_URL') as string);
    const trigger = (
      objects.find((o) => o.kind === 'ScaledObject')?.spec as {
        triggers: { metadata: Record<string, string> }[];
      }
    ).triggers[0];
    assert.equal(trigger?.metadata.address, `${redis.hostname}:${redis.port || '6379'}`);
    const env = composeEnv(compose().services.worker as ComposeService);
    assert.equal(new URL(env.get('EMBEDLINE_REDIS_URL') as string).hostname, 'redis');
    assert.equal(new URL(env.get('QDRANT_URL') as string).hostname, 'qdrant');
    assert.ok(compose().services.qdrant?.ports?.includes('6333:6333'));
  });
});

describe('Kubernetes: GPU workers, autoscaling, disruption budgets', () => {
  const objects = loadKubernetesObjects().map(({ object }) => object);
  const kustomization = loadKustomization();
  const scaledObject = objects.find((o) => o.kind === 'ScaledObject') as KubeObject;
  const spec = scaledObject.spec as {
    scaleTargetRef: { name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[];
  };
  const worker = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === spec.scaleTargetRef.name);

  test('each worker pod has one GPU and runs one worker process on device 0', () => {
    assert.ok(worker, `the ScaledObject's target ${spec.scaleTargetRef.name} is a Deployment here`);
    const containers = podTemplateOf(worker)?.spec.containers ?? [];
    assert.equal(containers.length, 1);
    const container = containers[0] as Container;
    assert.equal(Number(container.resources?.limits?.['nvidia.com/gpu']), 1);
    const env = containerEnvironment(container, objects, kustomization);
    assert.equal(effectiveValue(env, 'EMBEDLINE_PROVIDER'), 'cuda');
    assert.equal(effectiveValue(env, 'EMBEDLINE_DEVICE_ID'), 0);
    assert.equal(container.args, undefined, 'the image entrypoint starts exactly one worker');
  });

  test("KEDA watches the shards queue's BullMQ wait list, down to zero replicas", () => {
    const env = containerEnvironment(
      podTemplateOf(worker as KubeObject)?.spec.containers[0] as Container,
      objects,
      kustomization,
    );
    const prefix = String(effectiveValue(env, 'EMBEDLINE_QUEUE_PREFIX'));
    const waitKey = new QueueKeys(prefix).getKeys(QUEUES.shards).wait;
    assert.equal(spec.minReplicaCount, 0);
    assert.equal(spec.triggers.length, 1);
    assert.equal(spec.triggers[0]?.type, 'redis');
    assert.equal(spec.triggers[0]?.metadata.listName, waitKey);
    // The producer keeps about EMBEDLINE_HIGH_WATER_MARK shards waiting: that many / listLength workers.
    const highWaterMark = Number(effectiveValue(env, 'EMBEDLINE_HIGH_WATER_MARK'));
    assert.equal(
      Math.ceil(highWaterMark / Number(spec.triggers[0]?.metadata.listLength)),
      spec.maxReplicaCount,
    );
  });

  test("KEDA's Redis credentials come from a generated Secret", () => {
    const auth = objects.find(
      (o) =>
        o.kind === 'TriggerAuthentication' && o.metadata.name === spec.triggers[0]?.authenticationRef.name,
    );
    assert.ok(auth, 'the TriggerAuthentication exists');
    for (const ref of (auth.spec as { secretTargetRef: { name: string; key: string }[] }).secretTargetRef) {
      const generator = kustomization.secretGenerator?.find((g) => g.name === ref.name);
      assert.ok(generator, `Secret ${ref.name} is generated`);
      assert.ok(
        generator.envs.some((file) => readEnvFile(`${K8S_DIR}/${file}.example`).has(ref.key)),
        `${ref.name} has key ${ref.key}`,
      );
    }
  });

  test('each PodDisruptionBudget selects the pods of a Deployment here', () => {
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    assert.ok(budgets.length >= 2);
    for (const budget of budgets) {
      const selector = (budget.spec as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels;
      const matched = objects.filter((o) => {
        const labels = podTemplateOf(o)?.metadata?.labels ?? {};
        return o.kind === 'Deployment' && Object.entries(selector).every(([k, v]) => labels[k] === v);
      });
      assert.equal(matched.length, 1, `PDB ${budget.metadata.name} matches one Deployment`);
    }
  });
});

describe('compose: the services issue 5 asks for', () => {
  const { services } = compose();

  test('Redis keeps jobs: noeviction and AOF', () => {
    const command = String(services.redis?.command);
    assert.match(command, /--maxmemory-policy noeviction/);
    assert.match(command, /--appendonly yes/);
  });

  test('Redis, Qdrant and the API have healthchecks that the others wait on', () => {
    for (const name of ['redis', 'qdrant', 'api'])
      assert.ok(services[name]?.healthcheck, `${name} has a healthcheck`);
    for (const name of ['api', 'worker', 'producer']) {
      assert.equal(
        services[name]?.depends_on?.redis?.condition,
        'service_healthy',
        `${name} waits for Redis`,
      );
      assert.equal(
        services[name]?.depends_on?.qdrant?.condition,
        'service_healthy',
        `${name} waits for Qdrant`,
      );
    }
  });

  test('the GPU worker reserves an NVIDIA GPU, behind the "gpu" profile', () => {
    const gpu = services['worker-gpu'];
    assert.deepEqual(gpu?.profiles, ['gpu']);
    const devices = gpu?.deploy?.resources?.reservations?.devices ?? [];
    assert.equal(devices.length, 1);
    assert.equal(devices[0]?.driver, 'nvidia');
    assert.ok(devices[0]?.capabilities.includes('gpu'));
    assert.equal(devices[0]?.device_ids?.length ?? devices[0]?.count, 1, 'one GPU per worker process');
  });

  test('the producer is one-shot and its corpus is at the same path in every worker', () => {
    const producer = services.producer as ComposeService;
    assert.equal(producer.restart, 'no');
    const command = producer.command as string[];
    assert.equal(command[0], 'ingest');
    const corpus = command[1] as string;
    const mountOf = (service: ComposeService) =>
      service.volumes?.find((v) => typeof v === 'object' && corpus.startsWith(`${v.target}/`)) as
        { source: string; target: string } | undefined;
    const mount = mountOf(producer);
    assert.ok(mount, `${corpus} is on a volume of the producer`);
    assert.ok(
      existsSync(join(INFRA_DIR, mount.source, corpus.slice(mount.target.length + 1))),
      `the sample corpus exists in the repository`,
    );
    for (const name of ['worker', 'worker-gpu'])
      assert.deepEqual(
        mountOf(services[name] as ComposeService),
        mount,
        `${name} sees the corpus at ${mount.target}`,
      );
  });

  test("build contexts and Dockerfiles exist; the model mount's default exists", () => {
    for (const [name, service] of Object.entries(services)) {
      if (!service.build) continue;
      assert.ok(
        existsSync(join(INFRA_DIR, service.build.context, service.build.dockerfile)),
        `${name}: ${service.build.dockerfile}`,
      );
    }
    const model = services.api?.volumes?.find(
      (v) => typeof v === 'object' && v.target === '/opt/embedline/model',
    ) as { source: string } | undefined;
    const fallback = /^\$\{[A-Z_]+:-(.+)\}$/.exec(model?.source ?? '')?.[1];
    assert.ok(
      fallback && existsSync(join(INFRA_DIR, fallback, 'onnx', 'model.onnx')),
      `default model folder ${fallback}`,
    );
  });
});

describe('Dockerfiles', () => {
  const rootPackage = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const ignored = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  for (const [image, app] of Object.entries(DOCKERFILES)) {
    const path = `infra/docker/${image}.Dockerfile`;
    test(`${image}: multi-stage, production deps of apps/${app} only, non-root, runs apps/${app} through tsx`, () => {
      const { args, stages } = parseDockerfile(path);
      assert.ok(stages.length >= 3, 'multi-stage');
      const all = stages.flatMap((s) => s.instructions);
      assert.ok(
        all.some(
          (i) =>
            i.keyword === 'RUN' && i.args.includes(`npm ci --omit=dev`) && i.args.includes(`-w apps/${app}`),
        ),
        `npm ci --omit=dev -w apps/${app}`,
      );
      assert.equal(args.get('TSX_VERSION'), rootPackage.devDependencies.tsx, 'the tsx the repository runs');

      const runtime = stages.at(-1);
      assert.equal(runtime?.name, 'runtime');
      const user = runtime?.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
      assert.ok(
        user && !['root', '0'].includes(user.split(':')[0] as string),
        `runs as a non-root user (USER ${user})`,
      );
      const entrypoint = runtime?.instructions.find((i) => i.keyword === 'ENTRYPOINT');
      assert.ok(entrypoint, 'has an ENTRYPOINT');
      const argv = execForm(entrypoint);
      assert.deepEqual(argv.slice(0, 3), ['node', '--import', 'tsx']);
      assert.equal(argv[3], `apps/${app}/src/main.ts`);
      assert.ok(existsSync(repoPath(argv[3] as string)));

      for (const copy of all.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
        const sources = copy.args.split(/\s+/).slice(0, -1);
        for (const source of sources.filter((s) => s !== '.')) {
          const clean = source.replace(/\/$/, '');
          assert.ok(existsSync(repoPath(clean)), `COPY ${clean} exists`);
          assert.ok(
            !ignored.some((pattern) => clean === pattern || clean.startsWith(`${pattern}/`)),
            `COPY ${clean} is not in .dockerignore`,
          );
        }
      }
    });
  }

  test('worker-gpu: the onnxruntime version and install flag match the installed onnxruntime-node', () => {
    const { args, stages } = parseDockerfile('infra/docker/worker-gpu.Dockerfile');
    const encoder = JSON.parse(readFileSync(repoPath('libs/encoder/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.equal(args.get('ORT_VERSION'), encoder.dependencies['onnxruntime-node']);
    const require = createRequire(join(REPO_ROOT, 'libs/encoder/package.json'));
    const metadata = require('onnxruntime-node/script/install-metadata.js') as {
      requirements: Record<string, string[]>;
    };
    const install =
      stages.find((s) => s.name === 'ort-cuda-install')?.instructions.find((i) => i.keyword === 'RUN')
        ?.args ?? '';
    const flag = /ONNXRUNTIME_NODE_INSTALL=(\S+)/.exec(install)?.[1];
    assert.ok(
      flag && metadata.requirements['linux/x64']?.includes(flag),
      `ONNXRUNTIME_NODE_INSTALL=${flag} is a manifest of onnxruntime-node's install script`,
    );
    for (const source of ['install', 'wheel', 'local'])
      assert.ok(
        stages.some((s) => s.name === `ort-cuda-${source}`),
        `ORT_CUDA_SOURCE=${source} has a stage`,
      );
    assert.ok(
      stages.some((s) => s.from === 'ort-cuda-${ORT_CUDA_SOURCE}'),
      'the provider stage is chosen by ORT_CUDA_SOURCE',
    );
  });
});

describe('CLI flags used by infra/ and docs/operations.md exist', () => {
  const help = new Map<string, string>();
  const helpOf = (command: string): string => {
    if (!help.has(command)) {
      const [app, ...sub] = command.split(' ');
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', `apps/${app}/src/main.ts`, ...sub, '--help'],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
      );
      assert.equal(result.status, 0, `${command} --help: ${result.stderr}`);
      help.set(command, result.stdout);
    }
    return help.get(command) as string;
  };
  const assertFlags = (command: string, argv: string[], where: string) => {
    const flags = argv
      .map((a) => /^--[a-z][a-z0-9-]*/.exec(a)?.[0])
      .filter((f): f is string => f !== undefined);
    for (const flag of flags) {
      assert.ok(
        new RegExp(`(^|[\\s,])${flag}\\b`).test(helpOf(command)),
        `${where}: ${command} has no flag ${flag}`,
      );
    }
  };

  test('the compose producer and the k8s Job call `ingest` with real flags', () => {
    assertFlags('producer ingest', (compose().services.producer?.command as string[]).slice(1), COMPOSE);
    const job = loadKubernetesObjects().find(({ object }) => object.kind === 'Job')?.object as KubeObject;
    const argv = podTemplateOf(job)?.spec.containers[0]?.args ?? [];
    assert.equal(argv[0], 'ingest');
    assertFlags('producer ingest', argv.slice(1), 'producer-job.yaml');
  });

  test('every producer/worker command in docs/operations.md uses real flags', () => {
    const lines = readFileSync(repoPath('docs/operations.md'), 'utf8').split('\n');
    let checked = 0;
    for (const [index, line] of lines.entries()) {
      const producer = /(?:apps\/producer\/src\/main\.ts|run --rm producer)\s+(ingest|status)\b(.*)$/.exec(
        line,
      );
      if (producer) {
        assertFlags(
          `producer ${producer[1]}`,
          (producer[2] as string).split(/\s+/),
          `docs/operations.md:${index + 1}`,
        );
        checked += 1;
      }
      const worker = /apps\/worker\/src\/main\.ts\b(.*)$/.exec(line);
      if (worker) {
        assertFlags('worker', (worker[1] as string).split(/\s+/), `docs/operations.md:${index + 1}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 4, `docs/operations.md shows the producer and worker commands (found ${checked})`);
  });
});

describe('Kubernetes on a Redis Cluster (infra/k8s/overlays/redis-cluster)', () => {
  const base = loadKubernetesObjects().map(({ object }) => object);
  const objects = loadOverlay('redis-cluster');
  const kustomization = loadKustomization();
  const scaledObjectOf = (all: KubeObject[]) =>
    all.find((o) => o.kind === 'ScaledObject') as KubeObject & {
      spec: { triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[] };
    };

  test('every object it renders is valid', () => {
    for (const object of objects) {
      assert.equal(validateKubernetesObject(object), undefined, `${object.kind} ${object.metadata.name}`);
    }
  });

  test('apps run in cluster mode with a hash-tag prefix; KEDA watches the same wait list on the nodes', () => {
    const worker = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'embedline-worker-gpu') as KubeObject;
    const env = containerEnvironment(podTemplateOf(worker)?.spec.containers[0] as Container, objects, kustomization);
    assert.deepEqual(invalidValues(env), []);
    assert.equal(effectiveValue(env, 'EMBEDLINE_REDIS_CLUSTER'), true);
    const prefix = String(effectiveValue(env, 'EMBEDLINE_QUEUE_PREFIX'));
    const [trigger, ...others] = scaledObjectOf(objects).spec.triggers;
    assert.equal(others.length, 0);
    assert.equal(trigger?.type, 'redis-cluster');
    assert.equal(trigger?.metadata.listName, new QueueKeys(prefix).getKeys(QUEUES.shards).wait);
    // The nodes KEDA reads are seed nodes the apps would accept, with this prefix, in cluster mode.
    const seeds = (trigger?.metadata.addresses ?? '').split(',').map((address) => `redis://${address}`);
    assert.ok(seeds.length >= 3, 'KEDA is given several nodes, so one down does not blind it');
    assert.doesNotThrow(() => checkRedisSettings({ url: seeds.join(','), cluster: true, prefix }));
  });

  test('only the trigger changes: scaling, target and credentials are the base ones', () => {
    const [overlay, original] = [scaledObjectOf(objects), scaledObjectOf(base)];
    const { triggers: overlayTriggers, ...overlaySpec } = overlay.spec;
    const { triggers: baseTriggers, ...baseSpec } = original.spec;
    assert.deepEqual(overlaySpec, baseSpec);
    assert.equal(overlayTriggers[0]?.metadata.listLength, baseTriggers[0]?.metadata.listLength);
    assert.deepEqual(overlayTriggers[0]?.authenticationRef, baseTriggers[0]?.authenticationRef);
    assert.equal(objects.length, base.length);
  });

  test('a misspelt redis-cluster scaler key is caught', () => {
    const broken = structuredClone(scaledObjectOf(objects));
    const metadata = broken.spec.triggers[0]?.metadata as Record<string, string>;
    metadata.adresses = metadata.addresses as string;
    delete metadata.addresses;
    assert.match(validateKubernetesObject(broken) ?? '', /adresses/);
  });
});
