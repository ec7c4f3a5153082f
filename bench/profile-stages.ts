/**
 * The per-stage split of a signHash CPU profile (issue 19): where the time of a one-hash call goes,
 * from a `.cpuprofile` that bench/csc-hot-path.ts writes (BENCH_PROFILE). Each sample goes to one
 * stage: the database when its leaf frame is kysely or the store, or better-sqlite3's native call
 * under them, or when
 * node-postgres is on its stack (it writes each query to the socket from the caller's stack);
 * otherwise the first stage, in the order of `stages`, one of whose rules matches any frame
 * of its stack (so the receipt's ECDSA signature counts as the receipt, not as the credential's).
 * V8 gives built-ins (JSON.stringify, Array methods) no frame of their own: they count where they
 * are called. Async functions resumed from a microtask have short stacks, which is why the rules
 * look at files rather than at callers.
 *
 * `node --import tsx bench/profile-stages.ts FILE.cpuprofile [CALLS]`
 */
import { readFileSync } from 'node:fs';

/** The parts of a V8 CPU profile (Profiler.stop) read here. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

type Rule = (functionName: string, url: string) => boolean;

const nativeSql = new Set(['run', 'all', 'get', 'iterate']);
const isDatabaseCode: Rule = (_f, u) => /kysely|better-sqlite3|\/src\/store\//.test(u);
/** node-postgres writes a query to its socket from the caller's stack: such a sample is the database's. */
const isPostgresClient: Rule = (_f, u) => /\/node_modules\/(pg|pg-protocol|pg-pool)\//.test(u);

/** Stages in the order they claim a sample whose leaf is not the database. */
const stages: readonly (readonly [string, Rule])[] = [
  ['batch receipt + transparency leaf (src/transparency)', (_f, u) => /\/src\/transparency\//.test(u)],
  ['audit entry (src/audit)', (_f, u) => /\/src\/audit\//.test(u)],
  ['signature self-check (cms verify)', (_f, u) => /verify-signature|ecdsa-digest-check/.test(u)],
  ['credential key: signature (src/keys, node:crypto)', (f, u) => /\/src\/keys\/|modular-inverse|node:internal\/crypto\/sig/.test(u) || /^(SignJob|setPrivateKey|generateKeys|getPublicKey)$/.test(f)],
  ['metrics (prom-client)', (_f, u) => /prom-client|\/src\/server\/metrics\//.test(u)],
  ['logging (pino)', (_f, u) => /\/pino|sonic-boom|request-logger/.test(u)],
  ['SAD and token checks (src/auth)', (_f, u) => /\/src\/auth\//.test(u)],
  ['signHash service (src/csc)', (_f, u) => /\/src\/csc\/(?!client\/)/.test(u)],
  ['HTTP server (fastify, node:_http_server, src/server)', (_f, u) => /fastify|find-my-way|avvio|_http_server|\/src\/server\//.test(u)],
  ['client (bench, CSC client, node:_http_client)', (f, u) => f === 'bareSignCall' || /\/bench\/(?!bare-sign-server)|\/src\/csc\/client\/|_http_client|_http_agent/.test(u)],
  ['floor server (bench/bare-sign-server.ts)', (_f, u) => /\/bench\/bare-sign-server/.test(u)],
  ['sockets, streams, HTTP parsing (either side)', (_f, u) => /_http_|node:net|stream|node:events|node:buffer/.test(u)],
  ['garbage collector', (f) => f === '(garbage collector)'],
  ['idle (waiting)', (f) => f === '(idle)'],
];
const databaseStage = 'database (driver, kysely, src/store)';
const otherStage = 'runtime (microtasks, program, other)';

/** Time per stage in µs (sorted, largest first) and the total, over `calls` calls. */
export function stageSplit(profile: CpuProfile, calls: number): { readonly total: number; readonly rows: readonly { stage: string; usPerCall: number; share: number }[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    total += dt;
    const leafId = profile.samples[i] as number;
    const leaf = byId.get(leafId)?.callFrame;
    const frames: { functionName: string; url: string }[] = [];
    for (let id: number | undefined = leafId; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame !== undefined) frames.push(frame);
    }
    // A native leaf named like a better-sqlite3 method is the database's only under kysely or the
    // store (node:crypto's one-shot sign is a native `run` too).
    const caller = frames[1];
    const atDatabase =
      leaf !== undefined &&
      (isDatabaseCode(leaf.functionName, leaf.url) ||
        (leaf.url === '' && nativeSql.has(leaf.functionName) && caller !== undefined && isDatabaseCode(caller.functionName, caller.url)));
    const stage =
      atDatabase || frames.some((f) => isPostgresClient(f.functionName, f.url))
        ? databaseStage
        : (stages.find(([, rule]) => frames.some((f) => rule(f.functionName, f.url)))?.[0] ?? otherStage);
    time.set(stage, (time.get(stage) ?? 0) + dt);
  }
  const rows = [...time]
    .map(([stage, t]) => ({ stage, usPerCall: t / calls, share: total === 0 ? 0 : t / total }))
    .sort((a, b) => b.usPerCall - a.usPerCall);
  return { total: total / calls, rows };
}

/** The split as printed lines. */
export function formatStageSplit(split: ReturnType<typeof stageSplit>): string[] {
  return [
    `  sampled ${split.total.toFixed(0)} µs per call, by stage:`,
    ...split.rows.map((r) => `  ${r.usPerCall.toFixed(0).padStart(6)} µs  ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.stage}`),
  ];
}

if (process.argv[1]?.endsWith('profile-stages.ts') === true) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: node --import tsx bench/profile-stages.ts FILE.cpuprofile [CALLS]');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    console.log(formatStageSplit(stageSplit(profile, Number(process.argv[3] ?? 1))).join('\n'));
  }
}
