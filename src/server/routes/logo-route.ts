/**
 * GET /logo.svg: the service logo that CSC `info.logo` names (CSC API v2 §11.1: "the URI of the
 * image file containing the logo of the remote service"). A static SVG without script or external
 * reference, served under a CSP that allows none.
 */
import type { FastifyInstance } from 'fastify';

/** The logo's path. */
export const logoPath = '/logo.svg';

const logo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" role="img" aria-label="Signet">
<rect width="64" height="64" rx="12" fill="#1d4f91"/>
<path d="M16 44c6-10 10-22 16-22s4 14 9 14 5-8 7-10" fill="none" stroke="#fff" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>
<path d="M14 50h36" stroke="#9cc0ee" stroke-width="3" stroke-linecap="round"/>
</svg>
`;

/** Registers GET /logo.svg. */
export function registerLogoRoute(app: FastifyInstance): void {
  app.get(logoPath, { schema: { hide: true } }, (_request, reply) =>
    reply
      .header('content-type', 'image/svg+xml')
      .header('content-security-policy', "default-src 'none'")
      .header('cache-control', 'public, max-age=86400')
      .send(logo),
  );
}
