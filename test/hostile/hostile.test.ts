// Issue 14's hostile corpus, through the real command line: each broken or malicious file must give
// exit code 1 and a clear message naming the file and the field at fault, write nothing, and keep
// the process's memory bounded (a child with a 512 MB heap; its peak resident memory is measured).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildHostileCorpus, sha256, type HostileCase } from './corpus.js';
import { type CliResult, runCli } from './run_cli.js';
import { tempDir } from '../helpers/temp_dir.js';

/** Peak resident memory allowed to a refused input (a plain `ultrasam` start takes ~120–150 MB). */
const PEAK_RSS_LIMIT_MB = 512;
/** Children at once: the inputs are refused quickly, the time goes to starting Node. */
const PARALLEL = 2;

const { dir, cleanup } = tempDir('hostile');
process.on('exit', cleanup);
const cases = await buildHostileCorpus(dir);
const before = new Map(cases.flatMap((c) => (c.unchanged ?? []).map((p) => [p, sha256(join(dir, p))] as const)));

// Every run starts now, PARALLEL at a time; each test awaits its own.
const results = new Map<string, Promise<CliResult>>();
let slot = Promise.resolve();
const lanes = Array.from({ length: PARALLEL }, () => slot);
cases.forEach((c, i) => {
  const lane = i % PARALLEL;
  const run = lanes[lane].then(() => runCli(c.args, { cwd: dir }));
  lanes[lane] = run.then(
    () => undefined,
    () => undefined,
  );
  results.set(c.name, run);
});
slot = Promise.all(lanes).then(() => undefined);

function check(c: HostileCase, r: CliResult): void {
  const shown = `ultrasam ${c.args.join(' ')}\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`;
  assert.equal(r.signal, null, `killed by ${r.signal}\n${shown}`);
  assert.equal(r.code, 1, shown);
  assert.match(r.stderr, c.message, shown);
  assert.match(r.stderr, /^(ultrasam|error): /m, 'a clear error line (after any warnings; commander adds its usage), not a crash');
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `no stack trace\n${shown}`);
  for (const path of c.absent) assert.equal(existsSync(join(dir, path)), false, `${path} must not be written\n${shown}`);
  for (const path of c.unchanged ?? []) assert.equal(sha256(join(dir, path)), before.get(path), `${path} must be left as it was`);
  assert.ok(r.peakRssMb < PEAK_RSS_LIMIT_MB, `peak memory ${r.peakRssMb.toFixed(0)} MB ≥ ${PEAK_RSS_LIMIT_MB} MB\n${shown}`);
}

for (const c of cases) {
  test(`${c.name}: ${c.what}`, async (t) => {
    const r = await results.get(c.name)!;
    const line = /^(ultrasam|error): .*$/m.exec(r.stderr)?.[0] ?? r.stderr.split('\n').at(-1)!;
    t.diagnostic(`exit ${r.code}, peak ${r.peakRssMb.toFixed(0)} MB: ${line.slice(0, 240)}`);
    check(c, r);
  });
}
