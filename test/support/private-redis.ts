import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A redis-server of the test's own, on a free loopback port, keeping nothing on disk: suites never
 * see another run's data nor the machine's shared Redis. `restart()` simulates a Redis outage that
 * loses everything (no persistence), as a crashed managed instance without AOF would.
 */
export class PrivateRedis {
  private process?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'embedline-redis-'));

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.boot();
    return redis;
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child) await killRedisServer(child);
  }

  async restart(downForMs = 500): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downForMs));
    await this.boot();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    this.process = spawnRedisServer(this.port, this.dir);
    await waitForRedis(this.port);
  }
}

/** Starts `redis-server` (or `command`, another build of it) on a loopback port, persisting nothing, with its files in `dir`. */
export function spawnRedisServer(
  port: number,
  dir: string,
  extraArgs: readonly string[] = [],
  command = 'redis-server',
): ChildProcess {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs];
  const child = spawn(command, args, { stdio: 'ignore' });
  child.once('error', (error) => {
    throw new Error(`cannot start redis-server (is it installed? .ci/run installs it): ${error.message}`);
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Servers still running; killed when the test process exits, so a crashed suite leaves none behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function killRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Resolves once the redis-server on `port` answers PING (it refuses connections while it starts). */
export async function waitForRedis(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined); // refused while the server starts: expected, retried below
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server did not answer on port ${port}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
