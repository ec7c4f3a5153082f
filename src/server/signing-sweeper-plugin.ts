/**
 * Runs the signing-request sweeper (docs/security.md §3.10; src/csc/signing-request-sweeper.ts) for
 * the life of the server: started when the app is ready, stopped (and awaited) when it closes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { startSigningRequestSweeper, type SigningRequestSweeper, type SweeperDeps } from '../csc/index.js';
import type { SigningConfig } from './signing-config.js';

/** Options of the sweeper plugin. */
export interface SigningSweeperOptions {
  readonly deps: SweeperDeps;
  readonly config: SigningConfig;
}

/** The plugin (registered by serverSurfaces next to the CSC API). */
export const signingSweeperPlugin: FastifyPluginAsync<SigningSweeperOptions> = async (app, { deps, config }) => {
  let sweeper: SigningRequestSweeper | undefined;
  app.addHook('onReady', async () => {
    if (config.faults !== undefined) {
      app.log.warn({ faultHooks: [...config.faults.actions.keys()] }, 'signing fault hooks are enabled (test mode): never run this in production');
    }
    sweeper = startSigningRequestSweeper(deps, {
      abandonAfterMs: config.abandonAfterMs,
      intervalMs: config.sweepIntervalMs,
      onError: (err) => app.log.error({ err }, 'signing request sweep failed'),
    });
    await Promise.resolve();
  });
  app.addHook('onClose', async () => {
    await sweeper?.stop();
  });
  await Promise.resolve();
};
