/**
 * A loopback TCP proxy for network fault tests (docs/security.md §3.10 harness, FLT-21): forwards to a
 * target; `blackhole()` stops forwarding in both directions without closing anything (bytes are
 * swallowed, as on a dead route), `restore()` forwards again for new connections (connections
 * that lost bytes stay black: their protocol state is gone, the client must drop them).
 * `cutAnswerAfter` cuts a connection right after the target answered a chosen request (the target
 * acted; the client never hears of it: FLT-04, SAD-07).
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

/** A running proxy. */
export interface TcpProxy {
  readonly port: number;
  blackhole(): void;
  restore(): void;
}

/** Options of startTcpProxy. */
export interface TcpProxyOptions {
  /**
   * Sees each chunk a client sends, with an object standing for its connection (for per-connection
   * state); true: the next chunk the target sends back on that connection is swallowed and both
   * sides are closed.
   */
  readonly cutAnswerAfter?: (chunk: Buffer, connection: object) => boolean;
  /** Called when such an answer was swallowed. */
  readonly onCut?: () => void;
}

/** Starts a proxy on 127.0.0.1 (a free port) to `host:port`, closed after the test. */
export async function startTcpProxy(t: Pick<TestContext, 'after'>, host: string, port: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  let black = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const upstream = createConnection({ host, port });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    // A connection opened or hit during a blackhole loses bytes: it stays black for good.
    let dead = black;
    const connection = {};
    let cutOnAnswer = false;
    client.on('data', (chunk: Buffer) => {
      if (black) dead = true;
      if (options.cutAnswerAfter?.(chunk, connection) === true) cutOnAnswer = true;
      if (!dead) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnAnswer) {
        options.onCut?.();
        client.destroy();
        upstream.destroy();
        return;
      }
      if (black) dead = true;
      if (!dead) client.write(chunk);
    });
    client.on('end', () => {
      if (!dead) upstream.end();
    });
    upstream.on('end', () => {
      if (!dead) client.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as { port: number }).port,
    blackhole: () => {
      black = true;
    },
    restore: () => {
      black = false;
    },
  };
}
