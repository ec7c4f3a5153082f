/**
 * Validates CSC request and response bodies against the published machine-readable specifications
 * (test/support/csc-spec: csc_openapi_2.1.0.1.yaml for v2, csc_schema_v.1.0.3.0.json for v1), after
 * patching the published files' known defects (v1 names in v2 `required`, `multisign.minimum: 2`, the
 * `expression` pattern, v1.0.4's integer `multisign`, …). Every patch is named below.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { repoPath } from './repo-path.js';

/** Where the specification files live (override with SIGNET_CSC_SPEC_DIR). */
export const cscSpecDir = process.env['SIGNET_CSC_SPEC_DIR'] ?? repoPath('test', 'support', 'csc-spec');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function patchV2(doc: Json): Json {
  const schemas = doc['components']['schemas'];
  const bodies = doc['components']['requestBodies'];
  const responses = doc['components']['responses'];
  const body = (name: string): Json => bodies[name]['content']['application/json']['schema'];
  const response = (name: string): Json => responses[name]['content']['application/json']['schema'];
  // Defect: `required` lists `hash`, the property is `hashes`.
  body('input-signatures-signhash')['required'] = ['credentialID', 'hashes', 'signAlgo'];
  // Defect: v1 names (authMode, PIN, OTP) and credentialID in the v2 info `required`.
  response('output-credentials-info')['required'] = ['key', 'multisign'];
  schemas['credentialInfoObject']['required'] = ['credentialID', 'key', 'multisign'];
  // Defect: signDoc `required: ["signatures"]` names no such field.
  delete response('output-signatures-signdoc')['required'];
  // Defect: signAlgorithms.required says `algorithm`; the property is `algos`.
  schemas['signAlgorithms']['required'] = ['algos'];
  // Defect: multisign 1 (one signature per authorization) is legal.
  schemas['multisign']['minimum'] = 1;
  // Defect: the expression pattern rejects "PIN AND OTP" (operators between object ids).
  schemas['auth']['properties']['expression']['pattern'] = '^[A-Za-z0-9_]+( (AND|OR|XOR) [A-Za-z0-9_]+)*$';
  return doc;
}

function patchV1(doc: Json): Json {
  const defs = doc['definitions'];
  // v1.0.4: multisign became an integer (the 1.0.3 schema says boolean).
  defs['multisign'] = { type: 'integer', minimum: 1 };
  // The curve is an OID string, not an integer.
  defs['key']['properties']['curve'] = { type: 'string' };
  // The PIN format pattern says A|B — a typo for A|N (the PIN format is A alphanumeric or N numeric).
  defs['PININFO']['properties']['format']['pattern'] = '^(A|N)$';
  // Two references point at OpenAPI paths (#/components/schemas/…) that do not exist in this file.
  defs['input-credentials-extendTransaction']['properties']['hash'] = { $ref: '#/definitions/hash' };
  defs['output-credentials-extendTransaction']['properties']['expiresIn'] = { $ref: '#/definitions/expiresIn' };
  return doc;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
};

/** The validator over both versions. */
export interface CscSpec {
  /** Throws (with ajv's messages) when `body` does not match the operation's request schema. */
  checkRequest(version: 'v1' | 'v2', operation: string, body: unknown): void;
  /** Throws when `body` does not match the response schema of `status` (2xx or error). */
  checkResponse(version: 'v1' | 'v2', operation: string, status: number, body: unknown): void;
}

let cached: CscSpec | undefined;

/** Loads (once per process) the specifications and compiles validators on demand. */
export function loadCscSpec(): CscSpec {
  if (cached !== undefined) return cached;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  const v2 = patchV2(parse(readFileSync(resolve(cscSpecDir, 'csc_openapi_2.1.0.1.yaml'), 'utf8')) as Json);
  const v1 = patchV1(JSON.parse(readFileSync(resolve(cscSpecDir, 'csc_schema_v.1.0.3.0.json'), 'utf8')) as Json);
  delete v1['$schema'];
  delete v1['$id'];
  ajv.addSchema({ ...v2, $id: 'csc-v2' });
  ajv.addSchema({ ...v1, $id: 'csc-v1' });
  const compiled = new Map<string, ValidateFunction>();
  const compile = (ref: string | object): ValidateFunction => {
    const key = typeof ref === 'string' ? ref : JSON.stringify(ref);
    let fn = compiled.get(key);
    if (fn === undefined) {
      fn = ajv.compile(typeof ref === 'string' ? { $ref: ref } : ref);
      compiled.set(key, fn);
    }
    return fn;
  };
  const pointer = (ref: string): string => `csc-v2${ref}/content/application~1json/schema`;
  const v2Operation = (operation: string): Json => {
    const op = v2['paths'][`/v2/${operation}`]?.['post'];
    if (op === undefined) throw new Error(`the v2 specification has no operation ${operation}`);
    return op as Json;
  };
  const v1Definition = (kind: 'input' | 'output', operation: string): string => {
    const name = `${kind}-${operation.replace('/', '-')}`;
    const defs = v1['definitions'] as Json;
    const found = Object.keys(defs).find((k) => k === name || k.toLowerCase() === name.toLowerCase());
    if (found === undefined) throw new Error(`the v1 schema has no ${name}`);
    return `csc-v1#/definitions/${found}`;
  };
  const run = (fn: ValidateFunction, body: unknown, what: string): void => {
    if (!fn(body)) {
      throw new Error(`${what} does not match the CSC specification: ${ajv.errorsText(fn.errors)}\n${JSON.stringify(body).slice(0, 600)}`);
    }
  };
  cached = {
    checkRequest(version, operation, body) {
      if (version === 'v2') {
        const ref = v2Operation(operation)['requestBody']?.['$ref'] as string | undefined;
        if (ref !== undefined) run(compile(pointer(ref)), body ?? {}, `v2 ${operation} request`);
      } else {
        run(compile(v1Definition('input', operation)), body ?? {}, `v1 ${operation} request`);
      }
    },
    checkResponse(version, operation, status, body) {
      if (status === 204) {
        if (body !== undefined && body !== '') throw new Error(`v2 ${operation}: 204 with a body`);
        return;
      }
      if (status >= 400) {
        run(compile(errorSchema), body, `${version} ${operation} error ${status}`);
        if (version === 'v2') {
          const declared = v2Operation(operation)['responses'] as Json;
          // 413/415 are transport answers the spec does not enumerate, and so are the Idempotency-Key
          // answers 409/422 (draft-ietf-httpapi-idempotency-key-header §2.7); every other status must be declared.
          if (![409, 413, 415, 422].includes(status) && declared[String(status)] === undefined) {
            throw new Error(`v2 ${operation}: status ${status} is not declared by the specification`);
          }
        }
        return;
      }
      if (version === 'v2') {
        const ref = v2Operation(operation)['responses'][String(status)]?.['$ref'] as string | undefined;
        if (ref === undefined) throw new Error(`v2 ${operation}: status ${status} is not declared by the specification`);
        run(compile(pointer(ref)), body, `v2 ${operation} response`);
      } else {
        run(compile(v1Definition('output', operation)), body, `v1 ${operation} response`);
      }
    },
  };
  return cached;
}
