import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, killRedisServer, spawnRedisServer, waitForRedis } from './private-redis.ts';
import { waitFor } from './processes.ts';

const run = promisify(execFile);

/**
 * A Redis Cluster of the test's own: `masters` redis-servers in cluster mode on free loopback ports
 * (no replicas, nothing persisted), joined by `redis-cli --cluster create`, which spreads the 16384
 * slots over them. `dispose()` kills every server and deletes their folder; a suite calls it in
 * `after`, which runs even when its tests fail.
 */
export class PrivateRedisCluster {
  private readonly servers: ReturnType<typeof spawnRedisServer>[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'embedline-redis-cluster-'));
  readonly ports: number[] = [];

  private constructor() {}

  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const cluster = new PrivateRedisCluster();
    try {
      await cluster.boot(masters);
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** One URL per master: any of them is enough for a client to discover the cluster. */
  get seedUrls(): string[] {
    return this.ports.map((port) => `redis://127.0.0.1:${port}`);
  }

  /** The seeds as EMBEDLINE_REDIS_URL takes them in cluster mode: comma-separated. */
  get url(): string {
    return this.seedUrls.join(',');
  }

  /** A plain (single-node) client of one master, to ask it about itself. */
  node(port: number): Redis {
    return new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((server) => killRedisServer(server)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(masters: number): Promise<void> {
    const ports = await distinctFreePorts(masters * 2);
    for (let i = 0; i < masters; i++) {
      const port = ports[2 * i]!;
      // The cluster bus gets its own free port: the default (port + 10000) may be taken or past 65535.
      const busPort = ports[2 * i + 1]!;
      this.ports.push(port);
      this.servers.push(
        spawnRedisServer(port, this.dir, [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', `nodes-${port}.conf`,
          '--cluster-port', String(busPort),
          '--cluster-node-timeout', '5000',
        ]),
      );
    }
    await Promise.all(this.ports.map((port) => waitForRedis(port)));
    const nodes = this.ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 });
    await waitFor('every node to report cluster_state:ok', async () => ((await this.allNodesOk()) ? true : undefined), 60_000, 100);
  }

  private async allNodesOk(): Promise<boolean> {
    const states = await Promise.all(
      this.ports.map(async (port) => {
        const client = this.node(port);
        try {
          return String(await client.call('CLUSTER', 'INFO'));
        } finally {
          client.disconnect();
        }
      }),
    );
    return states.every((info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${this.ports.length}\\b`).test(info));
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
