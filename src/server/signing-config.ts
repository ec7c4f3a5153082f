/**
 * Idempotent signing settings from the environment (docs/security.md §3.10): the abandonment bound T
 * (`SIGNET_SIGNING_ABANDON_AFTER_MS`, default 60 000), the sweep interval
 * (`SIGNET_SIGNING_SWEEP_INTERVAL_MS`, default T / 4), and the test-only fault hooks
 * (`SIGNET_FAULT_HOOKS`). Rule: hooks are accepted only with `SIGNET_TEST_MODE=1` and a
 * `NODE_ENV` other than `production`; anything else refuses to start (ERR_SERVER_CONFIG).
 */
import { defaultAbandonAfterMs, signingFaultPoints, type SigningFaultHooks, type SigningFaultPoint } from '../csc/index.js';
import { ServerError } from './errors.js';

/** What `SIGNET_FAULT_HOOKS` can ask for at a point: end the process at once, fail the request, or stall. */
export type FaultAction = { readonly kind: 'kill' } | { readonly kind: 'fail' } | { readonly kind: 'delay'; readonly ms: number };

/** The parsed settings. */
export interface SigningConfig {
  readonly abandonAfterMs: number;
  readonly sweepIntervalMs: number;
  /** Present only in test mode with SIGNET_FAULT_HOOKS set. */
  readonly faults?: { readonly actions: ReadonlyMap<SigningFaultPoint, FaultAction>; readonly hooks: SigningFaultHooks };
}

function bounded(text: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new ServerError('ERR_SERVER_CONFIG', `${name} must be an integer between ${min} and ${max}`);
  }
  return n;
}

function parseAction(text: string): FaultAction | undefined {
  if (text === 'kill' || text === 'fail') return { kind: text };
  const m = /^delay:(\d{1,6})$/.exec(text);
  return m === null ? undefined : { kind: 'delay', ms: Number(m[1]) };
}

/** `point=action[,point=action…]`, e.g. `afterKeyOperation=kill` or `afterReserve=delay:500`. */
function parseFaultHooks(spec: string): Map<SigningFaultPoint, FaultAction> {
  const actions = new Map<SigningFaultPoint, FaultAction>();
  for (const item of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [point, actionText] = item.split('=', 2);
    const action = actionText === undefined ? undefined : parseAction(actionText);
    if (!signingFaultPoints.includes(point as SigningFaultPoint) || action === undefined) {
      throw new ServerError(
        'ERR_SERVER_CONFIG',
        `SIGNET_FAULT_HOOKS: '${item}' is not <point>=kill|fail|delay:<ms> with a point among ${signingFaultPoints.join(', ')}`,
      );
    }
    actions.set(point as SigningFaultPoint, action);
  }
  return actions;
}

class InjectedFault extends ServerError {}

function hooksFor(actions: ReadonlyMap<SigningFaultPoint, FaultAction>): SigningFaultHooks {
  return {
    async reach(point) {
      const action = actions.get(point);
      if (action === undefined) return;
      switch (action.kind) {
        case 'kill':
          // A crash at exactly this point: no handler, no flush, no response (SIGKILL).
          process.kill(process.pid, 'SIGKILL');
          return new Promise<never>(() => undefined);
        case 'fail':
          throw new InjectedFault('ERR_SERVER_UNAVAILABLE', `fault injected at ${point}`);
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, action.ms));
          return;
      }
    },
  };
}

/** Reads the settings; throws ERR_SERVER_CONFIG for fault hooks outside test mode or malformed values. */
export function loadSigningConfig(env: NodeJS.ProcessEnv): SigningConfig {
  const abandonAfterMs = bounded(env['SIGNET_SIGNING_ABANDON_AFTER_MS'], defaultAbandonAfterMs, 100, 3_600_000, 'SIGNET_SIGNING_ABANDON_AFTER_MS');
  const sweepIntervalMs = bounded(
    env['SIGNET_SIGNING_SWEEP_INTERVAL_MS'],
    Math.max(50, Math.floor(abandonAfterMs / 4)),
    50,
    3_600_000,
    'SIGNET_SIGNING_SWEEP_INTERVAL_MS',
  );
  const spec = env['SIGNET_FAULT_HOOKS'];
  if (spec === undefined || spec === '') return { abandonAfterMs, sweepIntervalMs };
  // Production mode is NODE_ENV=production or the absence of the explicit test flag.
  if (env['SIGNET_TEST_MODE'] !== '1' || env['NODE_ENV'] === 'production') {
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      'SIGNET_FAULT_HOOKS is set outside test mode: fault hooks need SIGNET_TEST_MODE=1 and NODE_ENV other than production',
    );
  }
  const actions = parseFaultHooks(spec);
  return { abandonAfterMs, sweepIntervalMs, faults: { actions, hooks: hooksFor(actions) } };
}
