// The package as an npm user gets it (`npm run test:package`, outside `npm test`: it builds and
// installs, minutes on 2 cores). Packs the repository (its prepack build compiles src/ to dist/ and
// builds the web app), checks what the tarball holds and how big it is, installs it offline into a
// fresh folder, and there runs the README's library example (and type-checks it against the shipped
// declarations), the README's first command (`npx ultrasam segment` on the shipped example image)
// and `npx ultrasam app` (the page, its assets, the exported model and onnxruntime-web's files answer).
//
// Offline: `npm ci` leaves the dependencies' tarballs in npm's cache but not the registry's metadata
// that `npm install <tarball>` needs to resolve version ranges, so the fresh folder gets a lock file
// holding the runtime part of this repository's package-lock.json (the same versions, found in the
// cache by their integrity) and `npm install ./ultrasam-<version>.tgz --offline` installs from it.
//
// Checks only what holds for any reasonable model: the fetal head mask from the README's box covers a
// good part of that box and stays inside it (the bundled model may be retrained).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { tempDir } from '../helpers/temp_dir.js';
import { scriptedChecks } from '../helpers/checks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Everything but the model must stay small: compiled JS + types, the built app, examples, README. */
const MAX_UNPACKED_WITHOUT_MODELS = 5 * 1024 * 1024;
const APP_START_TIMEOUT_MS = 600_000;
const KEEP = process.env.ULTRASAM_KEEP_PACKAGE_TEST === '1';

const { check, runChecks } = scriptedChecks();

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/**
 * The environment for npm and the installed command: npm run sets npm_* variables (the package being
 * run, its prefix) that would make a nested npm act on this repository instead of the fresh folder.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !keep.has(key.toLowerCase())) continue;
    if (key === 'INIT_CWD') continue;
    env[key] = value;
  }
  env.ONNXRUNTIME_NODE_INSTALL = 'skip';
  return env;
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** The first fenced block of `language` after the line containing `marker` in the README. */
function readmeBlock(readme: string, marker: string, language: string): string {
  const start = readme.indexOf(marker);
  if (start < 0) throw new Error(`README.md: no "${marker}"`);
  const open = readme.indexOf('```' + language + '\n', start);
  const close = readme.indexOf('\n```', open + 1);
  if (open < 0 || close < 0) throw new Error(`README.md: no \`\`\`${language} block after "${marker}"`);
  return readme.slice(open + language.length + 4, close + 1);
}

/** The README's first command, `ultrasam segment ...` (what follows `npx`), from the "Two commands" block. */
function readmeFirstCommand(readme: string): string[] {
  const block = readmeBlock(readme, '## Two commands', 'sh');
  const line = block.split('\n').find((l) => l.includes('npx ultrasam segment'));
  if (!line) throw new Error('README.md: no `npx ultrasam segment` in the "Two commands" block');
  return line
    .slice(line.indexOf('npx ultrasam segment') + 'npx '.length)
    .trim()
    .split(/\s+/);
}

function boxOf(args: string[]): [number, number, number, number] {
  const i = args.indexOf('--box');
  const box = args[i + 1]?.split(',').map(Number);
  if (i < 0 || !box || box.length !== 4 || box.some((v) => !Number.isFinite(v))) throw new Error(`no --box x0,y0,x1,y1 in ${args.join(' ')}`);
  return box as [number, number, number, number];
}

/** Pixels of the mask and the share of them inside the box (inclusive pixel bounds). */
function maskInBox(mask: ArrayLike<number>, width: number, box: [number, number, number, number]): { area: number; inside: number } {
  let area = 0;
  let inside = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    area++;
    const x = i % width;
    const y = Math.floor(i / width);
    if (x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3]) inside++;
  }
  return { area, inside: area === 0 ? 0 : inside / area };
}

function boxArea(box: [number, number, number, number]): number {
  return (box[2] - box[0]) * (box[3] - box[1]);
}

/**
 * A lock file for the fresh folder: the tarball as its one dependency, and every package of this
 * repository's lock that is not a development-only one, at the same place in node_modules.
 */
function freshLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const self = lock.packages[''];
  const packages: Record<string, unknown> = {
    '': { name: 'try-ultrasam', dependencies: { ultrasam: `file:${tarball}` } },
    'node_modules/ultrasam': {
      version: self.version,
      resolved: `file:${tarball}`,
      license: self.license,
      dependencies: self.dependencies,
      bin: self.bin,
      engines: self.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && !entry.dev) packages[path] = entry;
  }
  return { name: 'try-ultrasam', lockfileVersion: 3, requires: true, packages };
}

async function packAndInspect(work: string): Promise<{ tarball: string }> {
  let started = Date.now();
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  run('npm', ['pack', '--pack-destination', packDir, '--loglevel', 'warn'], ROOT);
  const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  check('npm pack writes one tarball', tarballs.length === 1, `${tarballs.join(', ')} in ${seconds(started)} (prepack build included)`);
  const tarball = join(packDir, tarballs[0]);
  check('postpack removes the build it packed', !existsSync(join(ROOT, 'dist')), 'no stale dist/ left for bin/ultrasam.js to prefer over src/');

  started = Date.now();
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
  const pkg = join(unpacked, 'package');
  const files = walk(pkg).map((f) => relative(pkg, f).split('\\').join('/'));
  const size = (f: string) => statSync(join(pkg, f)).size;
  const total = files.reduce((sum, f) => sum + size(f), 0);
  const models = files.filter((f) => f.startsWith('models/')).reduce((sum, f) => sum + size(f), 0);
  console.log(`tarball ${tarballs[0]}: ${megabytes(statSync(tarball).size)}, ${files.length} files, ${megabytes(total)} unpacked (${megabytes(models)} of it models/)`);

  const required = [
    'package.json',
    'README.md',
    'bin/ultrasam.js',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/cli/main.js',
    'web/dist/index.html',
    'models/ultrasam-tiny.safetensors',
    'examples/ATTRIBUTION.md',
  ];
  const missing = required.filter((f) => !files.includes(f));
  check('the tarball holds the compiled library, the command, the built app and the model', missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : `${required.length} key files`);

  const sources = walk(join(ROOT, 'src'))
    .map((f) => relative(ROOT, f).split('\\').join('/'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const uncompiled = sources.filter((f) => !files.includes(`dist/${f.replace(/\.ts$/, '.js')}`) || !files.includes(`dist/${f.replace(/\.ts$/, '.d.ts')}`));
  check(
    'every module of src/ ships as JavaScript with its declarations',
    uncompiled.length === 0,
    uncompiled.length ? `missing for ${uncompiled.slice(0, 5).join(', ')}` : `${sources.length} modules`,
  );

  const unwanted = files.filter(
    (f) => /^(src|test|bench|scripts|docs|\.ci)\//.test(f) || f.startsWith('web/src/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')) || f.endsWith('.map') || /(^|\/)tsconfig[^/]*\.json$/.test(f),
  );
  check('no tests, TypeScript sources, source maps or build configuration in the tarball', unwanted.length === 0, unwanted.slice(0, 5).join(', '));
  check('the tarball is lean beside the model', total - models <= MAX_UNPACKED_WITHOUT_MODELS, `${megabytes(total - models)} without models/ (limit ${megabytes(MAX_UNPACKED_WITHOUT_MODELS)})`);
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const buildTools = ['tsx', 'typescript', 'vite', 'esbuild'].filter((name) => manifest.dependencies?.[name]);
  check('no TypeScript compiler or loader among the runtime dependencies', buildTools.length === 0, buildTools.join(', '));
  console.log(`(inspected in ${seconds(started)})`);
  return { tarball };
}

async function installFresh(work: string, tarball: string): Promise<string> {
  const started = Date.now();
  const project = join(work, 'project');
  mkdirSync(project);
  const name = tarball.slice(tarball.lastIndexOf('/') + 1);
  copyFileSync(tarball, join(project, name));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'try-ultrasam', private: true, type: 'module' }, null, 2) + '\n');
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(freshLock(name), null, 2) + '\n');
  run('npm', ['install', `./${name}`, '--offline', '--no-audit', '--no-fund'], project);
  const installed = join(project, 'node_modules', 'ultrasam');
  check('npm install of the tarball, offline, into a fresh folder', existsSync(join(installed, 'dist', 'src', 'index.js')), `in ${seconds(started)}`);
  const present = ['tsx', 'typescript', 'vite', 'esbuild'].filter((name) => existsSync(join(project, 'node_modules', name)));
  check('no TypeScript compiler or loader installed with it', present.length === 0, present.join(', '));
  return project;
}

async function libraryExample(project: string, readme: string): Promise<void> {
  const started = Date.now();
  const example = readmeBlock(readme, 'As a library:', 'ts');
  const box = boxOf(['--box', (/box: \[([^\]]+)\]/.exec(example)?.[1] ?? '').replace(/\s/g, '')]);
  // The README's code unchanged, then lines that report what it computed.
  const report = `
const { writeFileSync: _write } = await import('node:fs');
_write('head.bin', masks[0]);
console.log(JSON.stringify({
  width: refined.width, height: refined.height, masks: masks.length, lengths: masks.map((m) => m.length),
  score: scores[0], logits: lowResLogits.length,
  refined: refined.masks.map((m) => m.length), refinedScores: Array.from(refined.scores),
  everything: all.map((g) => ({ length: g.mask.length, area: g.area })),
}));
`;
  writeFileSync(join(project, 'example.mjs'), example + report);
  const out = run(process.execPath, ['example.mjs'], project).trim().split('\n').at(-1)!;
  const r = JSON.parse(out) as {
    width: number;
    height: number;
    masks: number;
    lengths: number[];
    score: number;
    logits: number;
    refined: number[];
    refinedScores: number[];
    everything: { length: number; area: number }[];
  };
  const head = maskInBox(readFileSync(join(project, 'head.bin')), r.width, box);
  const pixels = r.width * r.height;
  check(
    'the library example runs in the installed package',
    r.masks === 1 && r.lengths[0] === pixels && Number.isFinite(r.score) && r.logits > 0,
    `${r.width}×${r.height}, score ${r.score.toFixed(3)}, ${seconds(started)}`,
  );
  check(
    'its mask is the structure inside the box',
    head.area >= 0.25 * boxArea(box) && head.inside >= 0.95,
    `${head.area} px = ${((100 * head.area) / boxArea(box)).toFixed(0)} % of the box, ${(100 * head.inside).toFixed(1)} % inside it`,
  );
  check(
    'refine and generate return full-size masks',
    r.refined.length >= 1 && r.refined.every((n) => n === pixels) && r.everything.every((g) => g.length === pixels),
    `refine: ${r.refined.length} candidates; generate: ${r.everything.length} masks`,
  );

  // The same code as TypeScript against the declarations the package ships.
  writeFileSync(join(project, 'example.ts'), example);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify(
      { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['example.ts'] },
      null,
      2,
    ),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  let typeErrors = '';
  try {
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
  } catch (error) {
    typeErrors = String((error as { stdout?: string }).stdout ?? error);
  }
  check('the example type-checks against the shipped declarations', typeErrors === '', typeErrors.slice(0, 400));
}

async function firstCommand(project: string, readme: string): Promise<void> {
  const started = Date.now();
  const args = readmeFirstCommand(readme).map((a) => (a.startsWith('examples/') ? `node_modules/ultrasam/${a}` : a));
  const box = boxOf(args);
  const out = run('npx', [...args, '--out', 'mask.png', '--json'], project);
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { area_px: number; score: number; width: number };
  const { data, info } = await sharp(join(project, 'mask.png')).greyscale().raw().toBuffer({ resolveWithObject: true });
  const { area, inside } = maskInBox(data, info.width, box);
  check(`npx ${args.join(' ')}`, existsSync(join(project, 'overlay.png')) && area === result.area_px, `mask ${area} px, score ${result.score.toFixed(3)}, ${seconds(started)}`);
  check(
    'the mask is the structure inside the box',
    area >= 0.25 * boxArea(box) && inside >= 0.95,
    `${((100 * area) / boxArea(box)).toFixed(0)} % of the box, ${(100 * inside).toFixed(1)} % inside it`,
  );
}

function waitForUrl(app: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ultrasam app printed no address within ${APP_START_TIMEOUT_MS / 1000} s:\n${output()}`)), APP_START_TIMEOUT_MS);
    const look = () => {
      const match = /ultrasam app: (http:\/\/\S+)/.exec(output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    app.stdout!.on('data', look);
    app.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ultrasam app exited (${code}) before serving:\n${output()}`));
    });
  });
}

async function appAnswers(project: string, work: string): Promise<void> {
  const started = Date.now();
  // Its own process group, so that the app under npx can be stopped with it.
  const app = spawn('npx', ['ultrasam', 'app', '--port', '0', '--cache-dir', join(work, 'app-cache')], { cwd: project, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  app.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  app.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => app.once('exit', () => resolve()));
  try {
    const url = await waitForUrl(app, () => output);
    check('npx ultrasam app serves', true, `${url} after ${seconds(started)} (model exported on first start)`);
    const page = await fetch(url);
    const html = await page.text();
    check('the page answers', page.status === 200 && (page.headers.get('content-type') ?? '').startsWith('text/html') && html.includes('<script'), `${page.status}, ${html.length} bytes`);
    const assets = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => m[1]);
    const statuses = await Promise.all(assets.map(async (a) => (await fetch(new URL(a, url))).status));
    check("the page's scripts and styles answer", assets.length >= 2 && statuses.every((s) => s === 200), assets.map((a, i) => `${a} ${statuses[i]}`).join(', '));
    const manifest = await fetch(new URL('model/ultrasam.json', url));
    const encoder = await fetch(new URL('model/encoder_tail.onnx', url), { method: 'HEAD' });
    check(
      'the exported model answers',
      manifest.status === 200 && encoder.status === 200 && Number(encoder.headers.get('content-length')) > 0,
      `ultrasam.json ${manifest.status}, encoder_tail.onnx ${encoder.headers.get('content-length')} bytes`,
    );
    const ort = await fetch(new URL('ort/ort-wasm-simd-threaded.jsep.mjs', url), { method: 'HEAD' });
    check("onnxruntime-web's files answer", ort.status === 200, `ort/ort-wasm-simd-threaded.jsep.mjs ${ort.status}`);
  } finally {
    if (app.exitCode === null && app.pid !== undefined) {
      try {
        process.kill(-app.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await exited;
    }
  }
}

async function main(): Promise<number> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const { dir: work, cleanup: removeWork } = tempDir('package');
  const started = Date.now();
  return await runChecks(
    async () => {
      const { tarball } = await packAndInspect(work);
      const project = await installFresh(work, tarball);
      await libraryExample(project, readme);
      await firstCommand(project, readme);
      await appAnswers(project, work);
    },
    () => (KEEP ? console.log(`kept ${work}`) : removeWork()),
    () => `(${seconds(started)})`,
  );
}

process.exitCode = await main();
