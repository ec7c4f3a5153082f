/**
 * Serves the Signature Application (web/, built by Vite into dist/web) from the service's own
 * origin (docs/decisions/0001 Contract 5): index.html for the app's paths (/, /sign, /jobs/:id,
 * /verify, /account, /admin) with the app's Content-Security-Policy, and the hashed build files
 * under /assets/ with a one-year immutable cache (their names change with their content). Text
 * files are sent gzip-compressed when the browser accepts it (RFC 9110 §8.4, §12.5.3). When the
 * build is missing, the app's paths answer 503 with a page that says how to build it; the APIs are
 * not affected.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerErrorCode } from '../errors.js';

/** Options of the web app plugin. */
export interface WebAppRoutesOptions {
  /** The built app (index.html and assets/); default: dist/web of the package. */
  readonly webRoot?: string;
  /**
   * Origins the app may fetch besides its own (connect-src), e.g. a remote CSC provider's; the
   * gateway normally talks to it server-side, so this is usually empty.
   */
  readonly connectSources?: readonly string[];
}

/** The app's paths that answer index.html (the router in web/src/router.tsx decides the page). */
export const webAppPaths = ['/', '/sign', '/verify', '/account', '/admin', '/jobs/:id'] as const;

/**
 * The CSP of Contract 5 (CSP Level 3): scripts and styles only from the origin (no inline code),
 * images and pdf.js canvases from data:/blob:, the pdf.js worker from the origin or a blob, no
 * framing (also X-Frame-Options, set for every answer by app.ts), no <base>, forms post only here.
 */
export function webAppCsp(connectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

const contentTypes: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.bcmap': 'application/octet-stream',
  '.pfb': 'application/octet-stream',
  '.ttf': 'font/ttf',
};

const compressible = new Set(['.js', '.mjs', '.css', '.html', '.json', '.svg']);

/** A build file name: hashed, no directory parts, no leading dot (no traversal by construction). */
const assetName = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

/** The package root: the nearest folder above this module holding package.json and bin/signet.js. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'signet.js'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The default build folder: `<package>/dist/web`. */
export function defaultWebRoot(): string {
  return join(packageRoot(), 'dist', 'web');
}

interface CachedFile {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly type: string;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

/** True when Accept-Encoding lists gzip (or *) with a non-zero weight (RFC 9110 §12.5.3). */
function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((entry) => {
    const [coding = '', ...params] = entry.split(';').map((p) => p.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

const missingBuildPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signet: web app not built</title></head>
<body><main><h1>The web app is not built</h1>
<p>This Signet server runs, but the browser application has not been built. Run <code>npm run build</code>
(or <code>npm ci</code>, which builds it) in the Signet folder, then reload this page.</p>
<p>The APIs (<code>/csc/v2</code>, <code>/oauth2</code>, <code>/api/v1</code>) work without it.</p>
<p><small>Error code: ${'ERR_SERVER_WEB_APP_MISSING' satisfies ServerErrorCode}</small></p></main></body></html>
`;

/** The web app plugin; register at the root (no prefix). */
export const webAppRoutes: FastifyPluginAsync<WebAppRoutesOptions> = async (app, options) => {
  const root = resolve(options.webRoot ?? defaultWebRoot());
  const assetsDir = join(root, 'assets');
  const csp = webAppCsp(options.connectSources);
  // Hashed names never change content, so each is read (and compressed) once per process.
  const cache = new Map<string, CachedFile>();
  const maxCached = 200;

  const load = async (path: string, type: string, isCompressible: boolean): Promise<CachedFile | undefined> => {
    const hit = cache.get(path);
    if (hit !== undefined) return hit;
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return undefined;
    }
    const file: CachedFile = { body, type, gzip: isCompressible && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined };
    if (cache.size < maxCached) cache.set(path, file);
    return file;
  };

  const send = (request: FastifyRequest, reply: FastifyReply, file: CachedFile): FastifyReply => {
    void reply.header('content-type', file.type).header('x-content-type-options', 'nosniff');
    if (file.gzip !== undefined) {
      void reply.header('vary', 'accept-encoding');
      if (acceptsGzip(request)) return reply.header('content-encoding', 'gzip').send(file.gzip);
    }
    return reply.send(file.body);
  };

  const index = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    void reply
      .header('content-security-policy', csp)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      // The shell is tiny and names the current hashed assets: revalidate it every time.
      .header('cache-control', 'no-cache');
    const file = await load(join(root, 'index.html'), contentTypes['.html'] as string, true);
    if (file === undefined) {
      request.log.warn({ webRoot: root }, 'web app build missing (npm run build)');
      return reply
        .code(503)
        .header('content-type', 'text/html; charset=utf-8')
        .header('retry-after', '60')
        .header('cache-control', 'no-store')
        .send(missingBuildPage);
    }
    return send(request, reply, file);
  };

  for (const path of webAppPaths) app.get(path, { schema: { hide: true } }, index);

  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params;
    const ext = extensionOf(name);
    const type = contentTypes[ext];
    const file = assetName.test(name) && type !== undefined ? await load(join(assetsDir, name), type, compressible.has(ext)) : undefined;
    if (file === undefined) {
      return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'no such file' });
    }
    // RFC 8246: the content under a hashed name never changes.
    void reply.header('cache-control', 'public, max-age=31536000, immutable').header('content-security-policy', csp);
    return send(request, reply, file);
  });
  await Promise.resolve();
};
