// The static server behind `ultrasam app`: the built web app, the exported model and onnxruntime-web's
// WASM files, all from local folders, with the cross-origin-isolation headers that WASM threads
// (SharedArrayBuffer) need. It serves files only — images never come to it: the page segments them itself.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

export interface AppServerOptions {
  /** The built app (web/dist). */
  webDir: string;
  /** The exported model (its ONNX files and ultrasam.json), served under /model/. */
  modelDir: string;
  /** onnxruntime-web's dist folder, served under /ort/. */
  ortDir: string;
  /** Default 127.0.0.1: the app is for this machine only. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningAppServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers on every response: cross-origin isolation (threads) and a policy that forbids any other origin. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' blob: 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self' blob: data:",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The file a URL path names under `root`, or undefined when it escapes the root or is not a file. */
export function resolveUnder(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = resolve(root);
  const path = resolve(base, `.${normalize(`/${decoded}`)}`);
  if (path !== base && !path.startsWith(base + sep)) return undefined;
  if (!existsSync(path) || !statSync(path).isFile()) return undefined;
  return path;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The Host headers the server answers: the loopback names and the address it listens on, each with
 * its port. Anything else is refused, so a page on another site whose name was re-pointed at
 * 127.0.0.1 (DNS rebinding) cannot read the user's model: the browser sends that site's name.
 */
export function allowedHosts(listenHost: string, port: number): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  if (!wildcard) names.add(listenHost.includes(':') ? `[${listenHost}]` : listenHost.toLowerCase());
  return new Set([...names].map((name) => `${name}:${port}`));
}

/**
 * True when a request's Host header names this server. A server on a wildcard address also takes
 * any IP literal with its port (a DNS name is what rebinding needs, an address is not).
 */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>, listenHost: string, port: number): boolean {
  if (!header) return false;
  const host = header.trim().toLowerCase();
  if (allowed.has(host)) return true;
  if (listenHost !== '0.0.0.0' && listenHost !== '::') return false;
  const literal = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):(\d+)$/.exec(host);
  return literal !== null && Number(literal[3]) === port;
}

/** Which file answers a request path: /model/… and /ort/… from their folders, everything else from the app. */
export function routeRequest(options: AppServerOptions, urlPath: string): string | undefined {
  if (urlPath.startsWith('/model/')) return resolveUnder(options.modelDir, urlPath.slice('/model/'.length));
  if (urlPath.startsWith('/ort/')) return resolveUnder(options.ortDir, urlPath.slice('/ort/'.length));
  return resolveUnder(options.webDir, urlPath === '/' ? 'index.html' : urlPath);
}

export function startAppServer(options: AppServerOptions): Promise<RunningAppServer> {
  const index = join(options.webDir, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`the web app is not built (no ${index}); build it with \`npm run build:web\``);
  }
  const host = options.host ?? '127.0.0.1';
  let allowed = new Set<string>();
  let port = 0;
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (!hostAllowed(req.headers.host, allowed, host, port)) {
      res.writeHead(421, { 'Content-Type': MIME['.txt'] }).end(`this server answers only ${[...allowed].join(', ')}, not Host: ${req.headers.host ?? '(none)'}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': MIME['.txt'] }).end('method not allowed\n');
      return;
    }
    const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = routeRequest(options, urlPath);
    if (!file) {
      res.writeHead(404, { 'Content-Type': MIME['.txt'] }).end(`not found: ${urlPath}\n`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      // The model folder is per weights, but a re-export under the same name must not be served stale.
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      allowed = allowedHosts(host, port);
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolvePromise({
        server,
        port,
        url: `http://${shownHost}:${port}/`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Browsers keep connections alive; without this, close would wait for them to time out.
            server.closeAllConnections();
          }),
      });
    });
  });
}
