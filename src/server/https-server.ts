/**
 * The HTTPS listener of `signet serve`: Fastify's request handler on a `node:https` server with
 * the options of tls-config.ts and the same timeouts Fastify sets on its own servers
 * (docs/security.md DOS-14).
 */
import type { Server as HttpServer } from 'node:http';
import { createServer, type ServerOptions } from 'node:https';
import type { FastifyServerFactory } from 'fastify';

/**
 * A Fastify `serverFactory` that makes an HTTPS server. Fastify's types name the plain HTTP server
 * for the default instance; an `https.Server` has the same request interface (its requests are
 * `http.IncomingMessage`s on TLS sockets), hence the one cast.
 */
export function createHttpsServerFactory(
  options: ServerOptions,
  timeouts: {
    readonly connectionMs: number;
    readonly requestMs: number;
    readonly keepAliveMs: number;
  },
): FastifyServerFactory {
  return (handler) => {
    const server = createServer(options, handler);
    server.keepAliveTimeout = timeouts.keepAliveMs;
    server.requestTimeout = timeouts.requestMs;
    server.setTimeout(timeouts.connectionMs);
    return server as unknown as HttpServer;
  };
}
