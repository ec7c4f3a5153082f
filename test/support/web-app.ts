/**
 * The Signature Application built for tests: web/ through Vite's JavaScript API into a temporary
 * folder (once per test process, about a second), so a test always serves the current sources
 * and never races another test file over dist/web.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

let built: Promise<string> | undefined;

/** Builds web/ (once per process) and returns the folder holding index.html and assets/. */
export function buildWebApp(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'signet-web-'));
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    // Vite sets NODE_ENV=production in the process it builds in: put it back for the server under test.
    const nodeEnv = process.env['NODE_ENV'];
    try {
      await build({
        configFile: join(process.cwd(), 'web', 'vite.config.ts'),
        logLevel: 'error',
        build: { outDir, emptyOutDir: true },
      });
    } finally {
      if (nodeEnv === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = nodeEnv;
    }
    return outDir;
  })();
  return built;
}

/** The JavaScript the first page loads (its module script and modulepreloads), with gzip sizes. */
export function firstPageScripts(webRoot: string): { readonly file: string; readonly bytes: number; readonly gzipBytes: number }[] {
  const html = readFileSync(join(webRoot, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/(assets\/[^"]+\.m?js)"/g)].map((m) => m[1] as string);
  return [...new Set(refs)].map((file) => {
    const body = readFileSync(join(webRoot, file));
    return { file, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
  });
}
