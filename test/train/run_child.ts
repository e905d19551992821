// Runs one training run in a child process, so that a test can kill it (SIGKILL) like a crash:
// `tsx run_child.ts <run.json> [--resume]`.
import { readFileSync } from 'node:fs';
import { train } from '../../src/train/run.js';
import { validateRunConfig } from '../../src/train/run_config.js';

const config = validateRunConfig(JSON.parse(readFileSync(process.argv[2], 'utf8')) as Record<string, unknown>);
await train(config, { resume: process.argv.includes('--resume') });
