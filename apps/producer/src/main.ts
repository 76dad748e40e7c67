/**
 * embedline-producer: `ingest` cuts a corpus into shard jobs on the queue (with backpressure, resumable,
 * deterministic job ids); `status` shows any ingest's progress from any machine.
 */
import { Command } from 'commander';
import { ingestCommand } from './commands/ingest.ts';
import { statusCommand } from './commands/status.ts';

const program = new Command('embedline-producer')
  .description('Feed a corpus to the embedding workers through the queue.')
  .showHelpAfterError();
program.addCommand(ingestCommand());
program.addCommand(statusCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`embedline-producer: ${(error as Error).message}`);
  process.exit(1);
});
