/**
 * `signet receipt verify RECEIPT.json DOC.pdf [--key KEY.pem | --service URL] [--root BASE64]`
 * (issue 21): checks that a signature of the document belongs to exactly the batch the person
 * approved. The DTBS/R hash is recomputed from the document — the digest of a signature's DER
 * signed attributes (RFC 5652 §5.4, what signHash signed) — and must be the receipt's; then leaf →
 * inclusion proof → batch root (RFC 9162 §2.1.3.2), the receipt's signature (the log key's ECDSA
 * P-256; Ed25519 in receipts made before the log key signed them), and, given
 * `--root`, the root the person saw on the consent page.
 */
import { createHash } from 'node:crypto';
import { digestByOid, parseSignedData } from '../../cms/index.js';
import { listPdfSignatures } from '../../pades/index.js';
import { PdfDocument } from '../../pdf/index.js';
import { TransparencyError } from '../../transparency/errors.js';
import { parseReceipt, verifyReceipt } from '../../transparency/receipt.js';
import {
  readTransparencyPublicKey,
  type TransparencyPublicKey,
} from '../../transparency/transparency-key.js';
import { parseCliArgs } from '../args.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { readInputFile } from './sign-options.js';

const usage = `usage: signet receipt verify RECEIPT.json DOC.pdf (--key KEY.pem | --service URL) [--root BASE64]

Checks that DOC.pdf holds a signature whose signed-attributes hash is the receipt's, that the hash
is the receipt's leaf of the approved batch (its inclusion proof leads to the batch root), and that
the service signed the receipt. Exit 0 when every check holds, 1 naming the first that fails.

options:
  --key KEY.pem       the service's receipt key (PEM), as published at /api/v1/transparency/receipt-key
  --service URL       fetch that key from the service at URL (trust on first use: prefer --key)
  --root BASE64       the batch root shown when the batch was approved; the receipt's must equal it`;

const options = {
  key: { type: 'string' },
  service: { type: 'string' },
  root: { type: 'string' },
} as const;

export const receiptCommand: Command = {
  name: 'receipt',
  summary: 'verify that a signed document belongs to the batch its receipt names',
  usage,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseCliArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    } catch (cause) {
      throw new CliError(
        'ERR_CLI_USAGE',
        cause instanceof Error ? cause.message : 'bad arguments',
        { cause },
      );
    }
    const [sub, receiptPath, pdfPath, ...extra] = parsed.positionals;
    const v = parsed.values;
    if (
      sub !== 'verify' ||
      receiptPath === undefined ||
      pdfPath === undefined ||
      extra.length > 0
    ) {
      throw new CliError('ERR_CLI_USAGE', usage);
    }
    if ((v.key === undefined) === (v.service === undefined)) {
      throw new CliError('ERR_CLI_USAGE', 'give exactly one of --key KEY.pem and --service URL');
    }
    const text = Buffer.from(readInputFile(receiptPath, 'receipt')).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new TransparencyError(
        'ERR_TRANSPARENCY_RECEIPT_MALFORMED',
        `the receipt is malformed: ${receiptPath} is not JSON`,
        { cause },
      );
    }
    const receipt = parseReceipt(json);
    const key =
      v.key !== undefined
        ? readTransparencyPublicKey(Buffer.from(readInputFile(v.key, 'key')).toString('utf8'))
        : await fetchKey(v.service as string);
    const hashes = signedAttributeHashes(readInputFile(pdfPath, 'PDF'), receipt.hashAlgorithmOID);
    const hash = hashes.find((h) => Buffer.from(h.hash).toString('base64') === receipt.hash);
    if (hash === undefined) {
      throw new TransparencyError(
        'ERR_TRANSPARENCY_RECEIPT_HASH',
        `no signature of ${pdfPath} has the receipt's hash ${receipt.hash} (the document's: ${hashes.map((h) => `${h.field} ${Buffer.from(h.hash).toString('base64')}`).join(', ') || 'no signatures'}): the receipt is for another signature`,
      );
    }
    const root = v.root === undefined ? undefined : decodeRoot(v.root);
    verifyReceipt(json, key, {
      hash: hash.hash,
      ...(root === undefined ? {} : { batchRoot: root }),
    });
    io.stdout.write(
      `receipt verified: signature ${hash.field} of ${pdfPath} is leaf ${receipt.leafIndex} of the approved batch of ${receipt.batchSize} ` +
        `(root ${receipt.batchRoot}${root === undefined ? ', not compared with an approved root' : ', the approved root'}), ` +
        `signed under SAD ${receipt.sadId.slice(0, 16)}… at ${receipt.signedAt}, receipt signed by key ${key.keyId}\n`,
    );
    return 0;
  },
};

/** For each CMS signature of the document, the digest of its DER signed attributes. */
function signedAttributeHashes(
  pdf: Uint8Array,
  hashAlgorithmOid: string,
): { field: string; hash: Uint8Array }[] {
  const digest = digestByOid(hashAlgorithmOid);
  if (digest === undefined) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_RECEIPT_MALFORMED',
      `the receipt is malformed: unknown hashAlgorithmOID ${hashAlgorithmOid}`,
    );
  }
  const out: { field: string; hash: Uint8Array }[] = [];
  for (const s of listPdfSignatures(PdfDocument.open(pdf))) {
    if (s.isDocumentTimestamp || s.container === undefined) continue;
    for (const si of parseSignedData(s.container).signerInfos) {
      // RFC 5652 §5.4: the signature is over the DER of the SET OF signed attributes (tag 0x31).
      if (si.signedAttributes === undefined) continue;
      out.push({
        field: s.fieldName,
        hash: new Uint8Array(createHash(digest.nodeName).update(si.signedAttributes).digest()),
      });
    }
  }
  return out;
}

function decodeRoot(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== text) {
    throw new CliError(
      'ERR_CLI_USAGE',
      '--root must be the base64 SHA-256 batch root shown at approval',
    );
  }
  return new Uint8Array(bytes);
}

async function fetchKey(service: string): Promise<TransparencyPublicKey> {
  const url = `${service.replace(/\/+$/, '')}/api/v1/transparency/receipt-key`;
  let body: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new CliError('ERR_CLI_INPUT', `${url} answered ${res.status}`);
    body = await res.json();
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('ERR_CLI_INPUT', `cannot fetch the receipt key from ${url}`, { cause });
  }
  const pem = (body as { pem?: unknown } | null)?.pem;
  if (typeof pem !== 'string')
    throw new CliError('ERR_CLI_INPUT', `${url} did not answer a key {pem}`);
  return readTransparencyPublicKey(pem);
}
