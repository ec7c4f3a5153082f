/**
 * The static files of the authorization server's pages, served by Signet itself under
 * /oauth2/assets/ (no CDN, no third party: RFC 9700 §4.16 and the pages' CSP `script-src 'self'`):
 * pdf.js (pdfjs-dist's `build/pdf.min.mjs` and its worker) to render the documents at consent in
 * the browser's sandbox, the @simplewebauthn/browser bundle for the WebAuthn ceremonies, and the
 * pages' own small script and style sheet (src/server/static/consent/). A fixed allowlist: no
 * path from the request ever reaches the file system.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

interface Asset {
  readonly type: string;
  readonly path: () => string;
}

const require = createRequire(import.meta.url);

/** The folder of an npm package (its package.json may not be exported, so walk up from its main file). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, 'package.json');
    // Sub-folders may hold a package.json of their own ({"type": "commonjs"}): match the name.
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    dir = dirname(dir);
  }
  return dirname(require.resolve(name));
}

/** The package root of Signet (holding src/server/static). */
function signetRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'src', 'server', 'static', 'consent'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

const JS = 'text/javascript; charset=utf-8';
const assets: Readonly<Record<string, Asset>> = {
  'pdf.min.mjs': { type: JS, path: () => join(packageDir('pdfjs-dist'), 'build', 'pdf.min.mjs') },
  'pdf.worker.min.mjs': { type: JS, path: () => join(packageDir('pdfjs-dist'), 'build', 'pdf.worker.min.mjs') },
  'webauthn.js': {
    type: JS,
    path: () => join(packageDir('@simplewebauthn/browser'), 'dist', 'bundle', 'index.umd.min.js'),
  },
  'consent.js': { type: JS, path: () => join(signetRoot(), 'src', 'server', 'static', 'consent', 'consent.js') },
  'consent.css': {
    type: 'text/css; charset=utf-8',
    path: () => join(signetRoot(), 'src', 'server', 'static', 'consent', 'consent.css'),
  },
};

/** The asset names (tests check each is served). */
export const oauth2AssetNames: readonly string[] = Object.keys(assets);

/** Registers GET /oauth2/assets/:name. Files are read once, on first use. */
export function registerOAuth2Assets(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { name: string } }>(
    '/oauth2/assets/:name',
    { schema: { hide: true } },
    async (request, reply) => {
      const asset = Object.hasOwn(assets, request.params.name) ? assets[request.params.name] : undefined;
      if (asset === undefined) {
        return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found' });
      }
      let body = cache.get(request.params.name);
      if (body === undefined) {
        body = readFileSync(asset.path());
        cache.set(request.params.name, body);
      }
      return reply
        .code(200)
        .header('content-type', asset.type)
        .header('cache-control', 'public, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .header('cross-origin-resource-policy', 'same-origin')
        .send(body);
    },
  );
}
