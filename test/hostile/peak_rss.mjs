// Preloaded into the hostile tests' child processes: prints the peak resident set size on exit,
// on stderr, for run_cli.ts to read. (Plain JavaScript: it is loaded with --import, before tsx.)
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nultrasam-test-peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
