/**
 * How the CSC client moves one JSON POST: node:http(s) by default, or any fetch implementation.
 * The node:http path reuses the runtime's keep-alive agents (Node ≥ 19 global agents keep
 * sockets alive and unref them while idle, so a CLI still exits) and costs about a quarter of a
 * fetch round trip (bench/csc.bench.ts); signHash of one hash is dominated by it.
 * Both paths bound the response body and the whole exchange's time.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CscClientError } from './errors.js';

/** One POST of a JSON body. */
export interface JsonExchange {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The CSC method, for error messages. */
  readonly method: string;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

/** The reply: status and body text ('' when there is none). */
export interface JsonReply {
  readonly status: number;
  readonly text: string;
}

/** Performs one exchange; rejects with a CscClientError (TIMEOUT, NETWORK or RESPONSE). */
export type JsonTransport = (exchange: JsonExchange) => Promise<JsonReply>;

function tooLarge(exchange: JsonExchange): CscClientError {
  return new CscClientError(
    'ERR_CSC_CLIENT_RESPONSE',
    `${exchange.method}: the response body exceeds ${exchange.maxResponseBytes} bytes`,
  );
}

function timedOut(exchange: JsonExchange, cause?: unknown): CscClientError {
  return new CscClientError('ERR_CSC_CLIENT_TIMEOUT', `${exchange.method}: no answer within ${exchange.timeoutMs} ms`, { cause });
}

function unreachable(exchange: JsonExchange, cause: unknown): CscClientError {
  const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
  return new CscClientError('ERR_CSC_CLIENT_NETWORK', `${exchange.method}: cannot reach ${exchange.url.origin} (${reason})`, { cause });
}

/** The default transport: node:http / node:https with the global keep-alive agents. */
export const nodeHttpTransport: JsonTransport = (exchange) =>
  new Promise<JsonReply>((resolve, reject) => {
    const send = exchange.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (error: CscClientError | undefined, reply?: JsonReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolve(reply as JsonReply);
      else {
        req.destroy();
        reject(error);
      }
    };
    // One timer for the whole exchange, cleared when it ends (a slow or endless body included).
    const timer = setTimeout(() => finish(timedOut(exchange)), exchange.timeoutMs);
    const req = send(exchange.url, {
      method: 'POST',
      headers: { ...exchange.headers, 'content-length': String(Buffer.byteLength(exchange.body)) },
    });
    req.on('error', (cause) => finish(unreachable(exchange, cause)));
    req.on('response', (res: IncomingMessage) => {
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > exchange.maxResponseBytes) return finish(tooLarge(exchange));
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > exchange.maxResponseBytes) finish(tooLarge(exchange));
        else chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks, total).toString('utf8') }));
      res.on('error', (cause) => finish(unreachable(exchange, cause)));
    });
    req.end(exchange.body);
  });

/** A transport over a fetch implementation (tests inject one that checks every exchange). */
export function fetchTransport(fetchImpl: typeof fetch): JsonTransport {
  return async (exchange) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), exchange.timeoutMs);
    try {
      let response: Response;
      try {
        response = await fetchImpl(exchange.url.toString(), {
          method: 'POST',
          headers: exchange.headers,
          body: exchange.body,
          signal: controller.signal,
        });
      } catch (cause) {
        throw controller.signal.aborted ? timedOut(exchange, cause) : unreachable(exchange, cause);
      }
      try {
        return { status: response.status, text: await readBoundedText(response, exchange) };
      } catch (cause) {
        if (cause instanceof CscClientError) throw cause;
        throw controller.signal.aborted ? timedOut(exchange, cause) : unreachable(exchange, cause);
      }
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The body as text, refused (and cancelled) once it passes the bound. */
async function readBoundedText(response: Response, exchange: JsonExchange): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > exchange.maxResponseBytes) {
    await response.body?.cancel();
    throw tooLarge(exchange);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > exchange.maxResponseBytes) {
      await reader.cancel();
      throw tooLarge(exchange);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
