/**
 * The machine's floor for one signature per HTTP call: a bare node:http server, on its own
 * thread as the RSSP is, that parses a JSON body of hashes and answers their raw RSA or ECDSA
 * signatures — no framework, no authentication, no database, no audit, no logging. What Signet
 * adds on top of it is the cost of doing the job properly; the gap is printed by csc.bench.ts.
 */
import { constants, generateKeyPairSync, privateEncrypt, randomBytes, sign } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData, Worker } from 'node:worker_threads';
import { nodeHttpTransport } from '../src/csc/client/json-transport.js';
import type { CredentialAlgorithm } from '../src/csc/index.js';
import { askCpu, threadCpuMs } from './thread-cpu.js';

const digestInfoPrefix = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** The bare server's request listener: parse the JSON hashes, sign each, answer JSON. */
export function bareSignListener(algorithm: CredentialAlgorithm): RequestListener {
  const key = algorithm.startsWith('RSA')
    ? generateKeyPairSync('rsa', { modulusLength: Number(algorithm.slice(4)) }).privateKey
    : generateKeyPairSync('ec', { namedCurve: algorithm === 'EC-P256' ? 'P-256' : 'P-384' }).privateKey;
  const signOne = (hash: Buffer): Buffer =>
    key.asymmetricKeyType === 'rsa'
      ? privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([digestInfoPrefix, hash]))
      : sign(null, hash, key);
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { hashes } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { hashes: string[] };
      const body = JSON.stringify({ signatures: hashes.map((h) => signOne(Buffer.from(h, 'base64')).toString('base64')) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

if (parentPort !== null && (workerData as { bareSign?: boolean } | undefined)?.bareSign) {
  const { algorithm } = workerData as { algorithm: CredentialAlgorithm };
  const server = createServer(bareSignListener(algorithm));
  const port = parentPort;
  server.listen(0, '127.0.0.1', () => port.postMessage((server.address() as AddressInfo).port));
  port.on('message', (m) => {
    if (m === 'cpu') port.postMessage({ cpuMs: threadCpuMs() });
    else server.close(() => port.postMessage('closed'));
  });
}

/** One call of the floor: one random hash to sign, over the CSC client's node:http transport. */
export async function bareSignCall(url: URL): Promise<void> {
  const reply = await nodeHttpTransport({
    url,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hashes: [randomBytes(32).toString('base64')] }),
    method: 'sign',
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
  });
  if (reply.status !== 200) throw new Error(`bare server: ${reply.status}`);
}

export interface BareSignServer {
  readonly url: URL;
  /** The CPU time of the server's own thread so far, in ms (worker only). */
  serverCpuMs?(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Starts the bare server for `algorithm` on this thread (csc-hot-path.ts compares CPU per call). */
export async function startBareSignServerInline(algorithm: CredentialAlgorithm): Promise<BareSignServer> {
  const server = createServer(bareSignListener(algorithm));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sign`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts the bare server for `algorithm` in a worker thread. */
export async function startBareSignServer(algorithm: CredentialAlgorithm): Promise<BareSignServer> {
  const entry = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const worker = new Worker(entry, { eval: true, workerData: { bareSign: true, algorithm } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: new URL(`http://127.0.0.1:${port}/sign`),
    serverCpuMs: () => askCpu(worker),
    async close() {
      const closed = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}
