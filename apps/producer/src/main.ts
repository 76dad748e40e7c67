/**
 * embedline-producer: `ingest` cuts a corpus into shard jobs on the queue (with backpressure, resumable,
 * deterministic job ids); `status` shows any ingest's progress from any machine.
 */
import { Command } from 'commander';
import { loadEnv } from '@embedline/config';
import { ingestCommand } from './commands/ingest.ts';
import { statusCommand } from './commands/status.ts';

/** Reads the environment inside the catch below, so a bad setting is one line, never a stack trace. */
async function main(argv: string[]): Promise<void> {
  const env = loadEnv();
  const program = new Command('embedline-producer')
    .description('Feed a corpus to the embedding workers through the queue.')
    .showHelpAfterError();
  program.addCommand(ingestCommand(env));
  program.addCommand(statusCommand(env));
  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  console.error(`embedline-producer: ${(error as Error).message}`);
  process.exit(1);
});
