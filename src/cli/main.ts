// The `ultrasam` command line.
import { Command } from 'commander';
import { registerAppCommands } from './app.js';
import { registerDataCommands } from './data.js';
import { registerEvalCommands } from './eval.js';
import { registerEverythingCommand } from './everything.js';
import { registerFinetuneCommands } from './finetune.js';
import { registerPropagateCommand } from './propagate.js';
import { registerModelCommands } from './segment.js';
import { registerTrainCommands } from './train.js';
import { positiveInt } from './parse.js';
import { DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV } from '../image/limits.js';

// `ultrasam data list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command();
program
  .name('ultrasam')
  .description('UltraSam — Segment Anything for ultrasound — in TypeScript: segment, export, build the US-43d corpus')
  .option('--max-pixels <n>', `largest image or frame any reader decodes, in pixels (default ${DEFAULT_MAX_PIXELS.toLocaleString('en-US')} = 8192²)`, positiveInt)
  .showHelpAfterError();
// Through the environment, so that data-build workers and sample-pool threads are held to it too.
program.hook('preAction', () => {
  const { maxPixels } = program.opts<{ maxPixels?: number }>();
  if (maxPixels !== undefined) process.env[MAX_PIXELS_ENV] = String(maxPixels);
});
registerModelCommands(program);
registerEverythingCommand(program);
registerPropagateCommand(program);
registerDataCommands(program);
registerEvalCommands(program);
registerTrainCommands(program);
registerAppCommands(program);
registerFinetuneCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`ultrasam: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
