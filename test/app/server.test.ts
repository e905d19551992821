// The app server: routes, cross-origin-isolation headers, MIME types, and no file outside its folders.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningAppServer, allowedHosts, hostAllowed, resolveUnder, startAppServer } from '../../src/app/server.js';
import { tempDir } from '../helpers/temp_dir.js';

let root: string;
let removeRoot: () => void;
let server: RunningAppServer;

/** Raw GET (fetch would normalise `..` away before it reaches the server); `host` overrides the Host header. */
function get(path: string, method = 'GET', host?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, ...(host !== undefined ? { headers: { Host: host } } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  ({ dir: root, cleanup: removeRoot } = tempDir('app-server'));
  for (const dir of ['web', 'model', 'ort']) mkdirSync(join(root, dir));
  writeFileSync(join(root, 'web', 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(root, 'web', 'main.js'), 'export {};');
  writeFileSync(join(root, 'model', 'ultrasam.json'), '{"format":"ultrasam-onnx"}');
  writeFileSync(join(root, 'ort', 'ort-wasm-simd-threaded.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeFileSync(join(root, 'secret.txt'), 'outside every served folder');
  server = await startAppServer({ webDir: join(root, 'web'), modelDir: join(root, 'model'), ortDir: join(root, 'ort'), port: 0 });
});

after(async () => {
  await server.close();
  removeRoot();
});

test('listens on loopback by default', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test('serves the app, the model and the WASM with cross-origin isolation', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'] as string, /^text\/html/);
  assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(index.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.match(index.body, /<title>app<\/title>/);
  assert.match((await get('/main.js')).headers['content-type'] as string, /^text\/javascript/);
  const manifest = await get('/model/ultrasam.json');
  assert.equal(manifest.status, 200);
  assert.deepEqual(JSON.parse(manifest.body), { format: 'ultrasam-onnx' });
  const wasm = await get('/ort/ort-wasm-simd-threaded.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assert.equal(wasm.headers['cross-origin-embedder-policy'], 'require-corp');
});

test('nothing outside the served folders, whatever the path', async () => {
  for (const path of ['/../secret.txt', '/model/../../secret.txt', '/ort/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/model/%00', '/nope.js']) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(res.body, /outside every served folder/, path);
  }
  assert.equal(resolveUnder(join(root, 'web'), '../secret.txt'), undefined);
  assert.equal(resolveUnder(join(root, 'web'), '%E0%A4%A'), undefined, 'malformed escapes are refused');
});

test('HEAD answers without a body; other methods are refused', async () => {
  const head = await get('/model/ultrasam.json', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal((await get('/', 'POST')).status, 405);
});

test('an unbuilt app is a clear error naming the build command', () => {
  const { dir: empty, cleanup: removeEmpty } = tempDir('app-empty');
  try {
    assert.throws(() => startAppServer({ webDir: empty, modelDir: empty, ortDir: empty }), /npm run build:web/);
  } finally {
    removeEmpty();
  }
});

test('only requests naming this server in Host are answered: a DNS-rebinding page cannot read the model', async () => {
  // A page on attacker.example, re-pointed at 127.0.0.1, sends its own name: that must not reach the weights.
  for (const host of [`attacker.example:${server.port}`, 'attacker.example', `localhost.attacker.example:${server.port}`, `127.0.0.1:${server.port + 1}`, `localhost`]) {
    const res = await get('/model/ultrasam.json', 'GET', host);
    assert.equal(res.status, 421, host);
    assert.doesNotMatch(res.body, /ultrasam-onnx/, host);
    assert.match(res.body, new RegExp(`not Host: ${host.replace(/[.[\]]/g, '\\$&')}`), host);
  }
  for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`, `[::1]:${server.port}`]) {
    assert.equal((await get('/model/ultrasam.json', 'GET', host)).status, 200, host);
  }
});

test('listening on another address adds that address; a wildcard listener takes IP literals, never other names', () => {
  const lan = allowedHosts('192.168.1.5', 8765);
  assert.ok(hostAllowed('192.168.1.5:8765', lan, '192.168.1.5', 8765));
  assert.ok(hostAllowed('localhost:8765', lan, '192.168.1.5', 8765));
  assert.ok(!hostAllowed('10.0.0.1:8765', lan, '192.168.1.5', 8765));
  const any = allowedHosts('0.0.0.0', 8765);
  assert.ok(hostAllowed('10.0.0.1:8765', any, '0.0.0.0', 8765));
  assert.ok(hostAllowed('[fe80::1]:8765', any, '0.0.0.0', 8765));
  assert.ok(!hostAllowed('10.0.0.1:80', any, '0.0.0.0', 8765));
  assert.ok(!hostAllowed('evil.example:8765', any, '0.0.0.0', 8765));
  assert.ok(!hostAllowed(undefined, any, '0.0.0.0', 8765));
});
