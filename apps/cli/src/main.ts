import { Command } from 'commander';
import { demoCommand } from './commands/demo.ts';
import { evalCommand } from './commands/eval.ts';

// `embedline eval --per-query | head`: a reader that leaves early closes the pipe. Stop quietly, as Unix tools do,
// instead of dying on an unhandled EPIPE with a stack trace (the run file is complete before anything is printed).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const program = new Command('embedline')
  .description('Turn very large text corpora into a searchable vector index.')
  .showHelpAfterError();
program.addCommand(demoCommand());
program.addCommand(evalCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Expected failures (a bad flag, a missing model file, a malformed corpus) carry a message that
  // names the problem: print that, not a stack trace.
  console.error(`embedline: ${(error as Error).message}`);
  process.exitCode = 1;
}
