#!/usr/bin/env node
// The container's HEALTHCHECK (Dockerfile): GET /health/live on this node's own listener, over
// HTTPS when SIGNET_TLS_CERT_FILE makes the listener TLS-only, plain HTTP otherwise. Exit 0 when
// it answers 200 within 2.5 s, 1 otherwise. The certificate is not verified: the probe talks to
// its own process over loopback, and the certificate names the service's public host, not
// 127.0.0.1. Liveness only (docs/operations.md): readiness is the load balancer's probe.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const env = process.env;
const port = Number(env.SIGNET_PORT || 8080);
const bound = env.SIGNET_HOST || '127.0.0.1';
const host = bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound;
const tls = Boolean(env.SIGNET_TLS_CERT_FILE);
const request = tls ? httpsRequest : httpRequest;

const req = request(
  { host, port, path: '/health/live', method: 'GET', timeout: 2500, ...(tls ? { rejectUnauthorized: false } : {}) },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
