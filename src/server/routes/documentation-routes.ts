/**
 * The API reference a person reads: GET /documentation renders the server's own OpenAPI 3.0
 * document (the one /documentation/json serves) as one HTML page — operations grouped by tag,
 * each with its summary, security, parameters, request body and responses. Nothing is fetched
 * from elsewhere (no CDN, no script); the Content-Security-Policy allows only the page's own
 * stylesheet by hash (CSP Level 3 §2.3.1 hash-source).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';

/** The page's only stylesheet; its hash is the one style-src the CSP allows. */
const css = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:68rem;padding:1rem 1.5rem;color:#1d2430}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d5dae1;padding-bottom:.2rem}
nav a{margin-right:1rem}details{border:1px solid #d5dae1;border-radius:6px;margin:.4rem 0;padding:.3rem .7rem}
summary{cursor:pointer}code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f4f6f8;padding:.6rem;overflow:auto;border-radius:4px}
.m{display:inline-block;min-width:4.2rem;font-weight:600}.get{color:#1f6f43}.post{color:#1d4f91}.put,.patch{color:#8a5a00}.delete{color:#a1262b}
table{border-collapse:collapse}td,th{border:1px solid #d5dae1;padding:.2rem .5rem;text-align:left;vertical-align:top}`;

/** Content-Security-Policy of the page: nothing but its own stylesheet. */
export const documentationCsp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;

type Json = Record<string, unknown>;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function schemaBlock(schema: unknown): string {
  return schema === undefined ? '' : `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`;
}

function contentSchemas(content: unknown): string {
  if (!isObject(content)) return '';
  return Object.entries(content)
    .map(([type, body]) => `<p><code>${escapeHtml(type)}</code></p>${schemaBlock(isObject(body) ? body['schema'] : undefined)}`)
    .join('');
}

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

function operationHtml(path: string, method: string, op: Json): string {
  const summary = typeof op['summary'] === 'string' ? op['summary'] : '';
  const parts: string[] = [];
  if (typeof op['description'] === 'string') parts.push(`<p>${escapeHtml(op['description'])}</p>`);
  const security = Array.isArray(op['security']) ? op['security'].flatMap((s) => (isObject(s) ? Object.keys(s) : [])) : [];
  if (security.length > 0) parts.push(`<p>Authentication: ${security.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ')}</p>`);
  const params = Array.isArray(op['parameters']) ? op['parameters'].filter(isObject) : [];
  if (params.length > 0) {
    const rows = params
      .map((p) => `<tr><td><code>${escapeHtml(String(p['name']))}</code></td><td>${escapeHtml(String(p['in']))}</td><td>${p['required'] === true ? 'yes' : 'no'}</td><td>${escapeHtml(typeof p['description'] === 'string' ? p['description'] : '')}</td></tr>`)
      .join('');
    parts.push(`<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>${rows}</table>`);
  }
  const body = op['requestBody'];
  if (isObject(body)) parts.push(`<h4>Request body</h4>${contentSchemas(body['content'])}`);
  const responses = op['responses'];
  if (isObject(responses)) {
    for (const [status, response] of Object.entries(responses)) {
      const r = isObject(response) ? response : {};
      parts.push(`<h4>${escapeHtml(status)} ${escapeHtml(typeof r['description'] === 'string' ? r['description'] : '')}</h4>${contentSchemas(r['content'])}`);
    }
  }
  return `<details><summary><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code> — ${escapeHtml(summary)}</summary>${parts.join('')}</details>`;
}

/** Renders an OpenAPI 3.0 document as one HTML page. */
export function renderApiReference(document: Json): string {
  const info = isObject(document['info']) ? document['info'] : {};
  const title = typeof info['title'] === 'string' ? info['title'] : 'API';
  const byTag = new Map<string, string[]>();
  const paths = isObject(document['paths']) ? document['paths'] : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of methods) {
      const op = item[method];
      if (!isObject(op)) continue;
      const tag = Array.isArray(op['tags']) && typeof op['tags'][0] === 'string' ? op['tags'][0] : 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(path, method, op)]);
    }
  }
  const tags = [...byTag.keys()].sort();
  const sections = tags.map((tag) => `<h2 id="${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${(byTag.get(tag) ?? []).join('')}`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} API reference</title><style>${css}</style></head><body>
<h1>${escapeHtml(title)} API reference</h1><p>${escapeHtml(typeof info['description'] === 'string' ? info['description'] : '')}</p>
<p>Version ${escapeHtml(String(info['version'] ?? ''))}. The same document as OpenAPI 3.0 JSON: <a href="/documentation/json">/documentation/json</a>.</p>
<nav>${tags.map((t) => `<a href="#${escapeHtml(t)}">${escapeHtml(t)}</a>`).join('')}</nav>${sections}</body></html>
`;
}

/** Registers GET /documentation (the page) next to /documentation/json. */
export function registerDocumentationPage(app: FastifyInstance): void {
  let page: string | undefined;
  app.get('/documentation', { schema: { hide: true } }, (_request, reply) => {
    // Rendered once: the route table does not change after the server is ready.
    page ??= renderApiReference(app.swagger() as unknown as Json);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', documentationCsp)
      .header('cache-control', 'no-cache')
      .send(page);
  });
}
