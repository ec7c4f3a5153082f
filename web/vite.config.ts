/**
 * Vite build of the Signature Application: Preact through Vite's own JSX transform (oxc), output in
 * dist/web (served by `signet serve`, src/server/routes/web-app-routes.ts). No inline script or
 * style is emitted (the CSP of docs/decisions/0001 Contract 5 has no 'unsafe-inline'), and pdf.js
 * is a separate chunk loaded on first use.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The polyfill would be an inline script in index.html: modern Chromium, Firefox and Safari have modulepreload.
    modulePreload: { polyfill: false },
    // Everything is a file under /assets/ (a data: URL for a small asset is fine for img-src, but keep one rule).
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2048,
  },
});
