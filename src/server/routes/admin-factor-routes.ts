/**
 * The admin API's second-factor and role routes under /admin/v1 (issue 12): list a user's factors,
 * revoke one passkey or the TOTP device, reset all of them (recovery is an administrator's action,
 * never an e-mail link), set a user's role and require-passkey policy. Registered inside the admin
 * plugin's authenticated scope; every change is audited by the AdminService.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import type { UserRole } from '../../store/index.js';
import type { AdminService } from '../admin/admin-service.js';
import type { AdminOrigin } from '../admin/admin-tokens.js';

const userParams = {
  type: 'object',
  required: ['user'],
  properties: { user: { type: 'string', minLength: 1, maxLength: 200, description: 'user id or username' } },
} as const;

/** Adds the factor and role routes to the admin plugin's authenticated scope. */
export function registerAdminFactorRoutes(
  scoped: FastifyInstance,
  admin: AdminService,
  origin: (request: FastifyRequest) => AdminOrigin,
  security: readonly Record<string, readonly string[]>[],
): void {
  const tags = ['admin'];
  const schemaSecurity = security as Record<string, string[]>[];

  scoped.get<{ Params: { user: string } }>(
    '/users/:user/factors',
    { schema: { summary: "A user's second factors: TOTP state and passkeys (name, AAGUID, created, last used)", tags, security: schemaSecurity, params: userParams } },
    async (request) => admin.listFactors(request.params.user),
  );

  scoped.delete<{ Params: { user: string; passkeyId: string } }>(
    '/users/:user/factors/passkeys/:passkeyId',
    {
      schema: {
        summary: "Revoke one of a user's passkeys (even the last one)",
        tags,
        security: schemaSecurity,
        params: {
          type: 'object',
          required: ['user', 'passkeyId'],
          properties: { user: userParams.properties.user, passkeyId: { type: 'string', maxLength: 100 } },
        },
      },
    },
    async (request, reply) => {
      await admin.revokePasskey(request.params.user, request.params.passkeyId, origin(request));
      return reply.code(204).send();
    },
  );

  scoped.delete<{ Params: { user: string } }>(
    '/users/:user/factors/totp',
    { schema: { summary: "Remove a user's TOTP device (even as the last factor)", tags, security: schemaSecurity, params: userParams } },
    async (request, reply) => {
      await admin.revokeTotp(request.params.user, origin(request));
      return reply.code(204).send();
    },
  );

  scoped.post<{ Params: { user: string } }>(
    '/users/:user/factors/reset',
    {
      schema: {
        summary: "Recovery: remove every passkey and the TOTP device and end the user's web sessions",
        tags,
        security: schemaSecurity,
        params: userParams,
      },
    },
    async (request) => admin.resetFactors(request.params.user, origin(request)),
  );

  scoped.put<{ Params: { user: string }; Body: { role: UserRole } }>(
    '/users/:user/role',
    {
      schema: {
        summary: "Set a user's role",
        tags,
        security: schemaSecurity,
        params: userParams,
        body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role: { type: 'string', enum: ['user', 'admin'] } } },
      },
    },
    async (request) => admin.setRole(request.params.user, request.body.role, origin(request)),
  );

  scoped.put<{ Params: { user: string }; Body: { required: boolean } }>(
    '/users/:user/require-passkey',
    {
      schema: {
        summary: 'Require (or stop requiring) that a user signs in with a passkey',
        tags,
        security: schemaSecurity,
        params: userParams,
        body: { type: 'object', required: ['required'], additionalProperties: false, properties: { required: { type: 'boolean' } } },
      },
    },
    async (request) => admin.setRequirePasskey(request.params.user, request.body.required, origin(request)),
  );
}
