/**
 * Account self-service under /api/v1 (issue 12; docs/security.md SCA-18), all under the web session:
 * the user's factors, adding / renaming / removing passkeys, enrolling TOTP (the otpauth:// URI
 * and a QR code rendered here as SVG, confirmed by a first code) and removing it. Every change
 * needs a second factor verified in this session within 5 minutes, or a step-up proof in the
 * request (`stepUp: {otp} | {ticket, response}`); removing the last second factor is refused.
 * Each change is audited by the service that makes it.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import QRCode from 'qrcode';
import { encodeBase32, type StepUpProof, type WebSession } from '../../auth/index.js';
import type { Services } from '../services.js';
import { credentialResponseSchema, errorSchema } from './session-routes.js';
import { requireWebUserOrEnrolment, sendWebError } from './web-session-auth.js';

/** Options of the account plugin. */
export interface AccountRoutesOptions {
  readonly services: Pick<Services, 'webLogin' | 'webSessions' | 'passkeys' | 'factors' | 'authenticator'>;
}

const stepUpSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'a fresh second factor: {otp} or a finished step-up passkey ceremony {ticket, response}',
  properties: {
    otp: { type: 'string', minLength: 1, maxLength: 16 },
    ticket: { type: 'string', maxLength: 100 },
    response: credentialResponseSchema,
  },
} as const;

const passkeySchema = {
  type: 'object',
  required: ['id', 'name', 'aaguid', 'createdAt', 'lastUsedAt', 'transports', 'backedUp', 'deviceType'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    aaguid: { type: 'string' },
    createdAt: { type: 'integer' },
    lastUsedAt: { type: 'integer', nullable: true },
    transports: { type: 'array', items: { type: 'string' } },
    backedUp: { type: 'boolean' },
    deviceType: { type: 'string' },
  },
} as const;

const factorsSchema = {
  type: 'object',
  required: ['totp', 'passkeys', 'requirePasskey', 'stepUpFreshUntil'],
  properties: {
    totp: {
      type: 'object',
      required: ['enrolled', 'pending'],
      properties: { enrolled: { type: 'boolean' }, pending: { type: 'boolean' } },
    },
    passkeys: { type: 'array', items: passkeySchema },
    requirePasskey: { type: 'boolean' },
    stepUpFreshUntil: { type: 'integer', nullable: true, description: 'epoch ms until which changes need no step-up' },
  },
} as const;

const ceremonySchema = {
  type: 'object',
  required: ['ticket', 'options'],
  properties: { ticket: { type: 'string' }, options: { type: 'object', additionalProperties: true } },
} as const;

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 429: errorSchema } as const;

const passkeyParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 100 } },
} as const;

interface StepUpBody {
  readonly stepUp?: { readonly otp?: string; readonly ticket?: string; readonly response?: unknown };
}

function stepUpOf(body: StepUpBody | undefined): StepUpProof | undefined {
  const s = body?.stepUp;
  if (s === undefined) return undefined;
  if (s.otp !== undefined) return { otp: s.otp };
  if (s.ticket !== undefined && s.response !== undefined) return { ticket: s.ticket, response: s.response };
  return undefined;
}

function requestOrigin(request: FastifyRequest): { sourceAddress: string; traceId: string } {
  return { sourceAddress: request.ip, traceId: String(request.id) };
}

function sessionOf(request: FastifyRequest): WebSession {
  return request.webSession as WebSession;
}

/** The account routes; register with `{ prefix: '/api/v1' }`. */
export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (app, { services }) => {
  const { webLogin, passkeys, factors, authenticator, webSessions } = services;
  app.setErrorHandler((err, request, reply) => sendWebError(err, request, reply));
  app.addHook('preHandler', requireWebUserOrEnrolment);
  const tags = ['account'];

  /** SCA-18: a fresh factor (or a step-up in the request) before any change. */
  const fresh = async (request: FastifyRequest & { body?: unknown }): Promise<void> => {
    await webLogin.requireFreshFactor(sessionOf(request), stepUpOf(request.body as StepUpBody | undefined), requestOrigin(request));
  };

  app.get('/me/factors', { schema: { summary: 'My second factors (passkeys, TOTP) and the step-up window', tags, response: { 200: factorsSchema, ...errors } } }, async (request) => {
    const session = sessionOf(request);
    const f = await factors.list(session.userId);
    const at = session.secondFactor === 'none' ? null : session.secondFactorAt;
    return { totp: f.totp, passkeys: f.passkeys, requirePasskey: f.requirePasskey, stepUpFreshUntil: at === null ? null : at + 5 * 60_000 };
  });

  app.post('/me/step-up/options', { schema: { summary: 'Start a step-up passkey ceremony bound to this session', tags, response: { 200: ceremonySchema, ...errors } } }, async (request) =>
    webLogin.stepUpOptions(sessionOf(request), requestOrigin(request)),
  );

  app.post<{ Body: { otp?: string; ticket?: string; response?: unknown } }>(
    '/me/step-up',
    {
      schema: {
        summary: 'Prove a fresh second factor (one-time code or passkey) for the next 5 minutes of changes',
        tags,
        body: stepUpSchema,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      const proof = stepUpOf({ stepUp: request.body });
      if (proof === undefined) return reply.code(400).send({ error: 'invalid_request', error_description: 'send {otp} or {ticket, response}' });
      await webLogin.stepUp(sessionOf(request), proof, requestOrigin(request));
      return reply.code(204).send();
    },
  );

  app.post('/me/passkeys/options', { schema: { summary: 'Start adding a passkey (registration ceremony bound to this session)', tags, response: { 200: ceremonySchema, ...errors } } }, async (request) => {
    const session = sessionOf(request);
    return passkeys.startRegistration({ userId: session.userId, binding: `session:${session.sessionId}`, ...requestOrigin(request) });
  });

  app.post<{ Body: { ticket: string; response: unknown; name?: string } & StepUpBody }>(
    '/me/passkeys',
    {
      schema: {
        summary: 'Finish adding a passkey (needs a fresh second factor unless it is the first)',
        tags,
        body: {
          type: 'object',
          required: ['ticket', 'response'],
          additionalProperties: false,
          properties: { ticket: { type: 'string', maxLength: 100 }, response: credentialResponseSchema, name: { type: 'string', maxLength: 200 }, stepUp: stepUpSchema },
        },
        response: { 201: passkeySchema, ...errors },
      },
    },
    async (request, reply) => {
      await fresh(request);
      const session = sessionOf(request);
      const passkey = await passkeys.finishRegistration({
        userId: session.userId,
        ticket: request.body.ticket,
        response: request.body.response,
        binding: `session:${session.sessionId}`,
        ...(request.body.name !== undefined ? { name: request.body.name } : {}),
        ...requestOrigin(request),
      });
      // The registration verified the user (UV required): it is this session's fresh factor.
      await webSessions.recordSecondFactor(session.sessionId, 'passkey');
      return reply.code(201).send(passkey);
    },
  );

  app.patch<{ Params: { id: string }; Body: { name: string } & StepUpBody }>(
    '/me/passkeys/:id',
    {
      schema: {
        summary: 'Rename one of my passkeys',
        tags,
        params: passkeyParams,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 200 }, stepUp: stepUpSchema },
        },
        response: { 200: passkeySchema, ...errors },
      },
    },
    async (request) => {
      await fresh(request);
      return passkeys.renamePasskey({ userId: sessionOf(request).userId, passkeyId: request.params.id, name: request.body.name, ...requestOrigin(request) });
    },
  );

  app.delete<{ Params: { id: string }; Body: StepUpBody | undefined }>(
    '/me/passkeys/:id',
    {
      schema: {
        summary: 'Remove one of my passkeys (never the last second factor)',
        tags,
        params: passkeyParams,
        body: { type: 'object', nullable: true, additionalProperties: false, properties: { stepUp: stepUpSchema } },
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await fresh(request);
      await passkeys.removePasskey({ userId: sessionOf(request).userId, passkeyId: request.params.id, ...requestOrigin(request) });
      return reply.code(204).send();
    },
  );

  app.post<{ Body: StepUpBody | undefined }>(
    '/me/totp',
    {
      schema: {
        summary: 'Enrol an authenticator app: the otpauth:// URI, its secret and a QR code (SVG); confirm with a first code',
        tags,
        body: { type: 'object', nullable: true, additionalProperties: false, properties: { stepUp: stepUpSchema } },
        response: {
          200: {
            type: 'object',
            required: ['uri', 'secret', 'qrSvg'],
            properties: { uri: { type: 'string' }, secret: { type: 'string', description: 'base32, for typing in' }, qrSvg: { type: 'string' } },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      await fresh(request);
      const enrolment = await authenticator.enrollTotp({ userId: sessionOf(request).userId, ...requestOrigin(request) });
      const qrSvg = await QRCode.toString(enrolment.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { uri: enrolment.uri, secret: encodeBase32(enrolment.secret), qrSvg };
    },
  );

  app.post<{ Body: { code: string } }>(
    '/me/totp/confirm',
    {
      schema: {
        summary: 'Confirm the authenticator app with its first code (it then replaces any earlier one)',
        tags,
        body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', minLength: 1, maxLength: 16 } } },
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      const session = sessionOf(request);
      await authenticator.confirmTotp({ userId: session.userId, code: request.body.code, ...requestOrigin(request) });
      await webSessions.recordSecondFactor(session.sessionId, 'totp');
      return reply.code(204).send();
    },
  );

  app.delete<{ Body: StepUpBody | undefined }>(
    '/me/totp',
    {
      schema: {
        summary: 'Remove my authenticator app (never the last second factor)',
        tags,
        body: { type: 'object', nullable: true, additionalProperties: false, properties: { stepUp: stepUpSchema } },
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await fresh(request);
      await factors.removeTotp({ userId: sessionOf(request).userId, ...requestOrigin(request) });
      return reply.code(204).send();
    },
  );
  await Promise.resolve();
};
