/**
 * The deployment artefacts (issue 17, "Deployment artefacts") cannot run here (no Docker, no
 * Kubernetes), so they are checked so they cannot drift: the Dockerfile, deploy/compose.yaml,
 * deploy/haproxy.cfg and the Helm chart deploy/helm/signet (rendered by a minimal renderer of the
 * few template forms the chart uses, then YAML-parsed) name only variables of
 * docs/configuration.md, probe only paths the server routes, and keep the promised shape
 * (multi-stage Node 20 slim, non-root, read-only root, data volume, 2 replicas of 2 vCPU / 4 GiB,
 * Secret for the KEK and DATABASE_URL, PodDisruptionBudget, ServiceMonitor).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { buildServer } from '../../src/server/index.js';
import { openServices, serverEnv } from '../server/support/server-fixture.js';
import { requireTools, runTool } from '../support/tools.js';

type Tree = { readonly [key: string]: unknown };

/** Variables the artefacts may set that are not Signet's own (Node's, PostgreSQL image's). */
const foreign = new Set(['NODE_ENV']);

function configurationRows(): Map<string, { secret: boolean }> {
  const rows = new Map<string, { secret: boolean }>();
  for (const m of readFileSync('docs/configuration.md', 'utf8').matchAll(
    /^\| `([A-Z0-9_]+)` \|(.*)\|$/gm,
  )) {
    rows.set(m[1] as string, { secret: /\|\s*yes\b[^|]*$/.test(m[2] as string) });
  }
  return rows;
}

function undocumented(names: Iterable<string>): string[] {
  const rows = configurationRows();
  const ok = (n: string): boolean =>
    foreign.has(n) ||
    rows.has(n) ||
    (n.endsWith('_FILE') && rows.get(n.slice(0, -'_FILE'.length))?.secret === true);
  return [...new Set(names)].filter((n) => !ok(n)).sort();
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Tree)[key] : undefined;
  return v;
}

/**
 * Renders the subset of Go templates the chart uses: `{{ .Values.a.b }}`, `.Release.Name`,
 * `.Chart.Name`, the functions `quote` and `b64enc`, and `{{- if [not] X }}` / `{{- else }}` /
 * `{{- end }}` on lines of their own. Anything else fails the test (keep the chart that simple).
 */
function renderTemplate(text: string, context: Tree): string {
  const out: string[] = [];
  const stack: { active: boolean; parentActive: boolean; taken: boolean }[] = [];
  const active = (): boolean => stack.every((f) => f.active);
  const value = (expr: string): unknown => {
    const [head, ...fns] = expr.split('|').map((s) => s.trim());
    const m = /^(not\s+)?\.([A-Za-z.]+)$/.exec(head ?? '');
    assert.ok(m, `unsupported template expression: {{ ${expr} }}`);
    let v: unknown = lookup(context, (m[2] as string).split('.'));
    assert.notEqual(v, undefined, `{{ ${expr} }} names no value`);
    if (m[1] !== undefined) v = !v;
    for (const fn of fns) {
      if (fn === 'quote') v = JSON.stringify(String(v));
      else if (fn === 'b64enc') v = Buffer.from(String(v)).toString('base64');
      else assert.fail(`unsupported template function ${fn}`);
    }
    return v;
  };
  for (const line of text.split('\n')) {
    const control = /^\s*\{\{-?\s*(if\s+(.+?)|else|end)\s*-?\}\}\s*$/.exec(line);
    if (control) {
      if (control[1]?.startsWith('if')) {
        const parentActive = active();
        const cond = Boolean(value(control[2] as string));
        stack.push({ active: cond, parentActive, taken: cond });
      } else if (control[1] === 'else') {
        const f = stack.at(-1);
        assert.ok(f, 'else without if');
        f.active = !f.taken;
      } else {
        assert.ok(stack.pop(), 'end without if');
      }
      continue;
    }
    if (!active()) continue;
    out.push(line.replace(/\{\{-?\s*(.+?)\s*-?\}\}/g, (_all, expr: string) => String(value(expr))));
  }
  assert.equal(stack.length, 0, 'if without end');
  return out.join('\n');
}

function renderChart(values: Tree): Tree[] {
  const dir = 'deploy/helm/signet';
  const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as Tree;
  const context: Tree = {
    Values: values,
    Release: { Name: 'signet' },
    Chart: { Name: chart['name'] },
  };
  return readdirSync(join(dir, 'templates'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(renderTemplate(readFileSync(join(dir, 'templates', f), 'utf8'), context))
        .map((d) => {
          assert.deepEqual(d.errors, [], `${f}: ${d.errors.join('; ')}`);
          return d.toJS() as Tree | null;
        })
        .filter((d): d is Tree => d !== null),
    );
}

function kind(docs: readonly Tree[], k: string): Tree {
  const found = docs.filter((d) => d['kind'] === k);
  assert.equal(found.length, 1, `one ${k}`);
  return found[0] as Tree;
}

const chartValues = parse(readFileSync('deploy/helm/signet/values.yaml', 'utf8')) as Tree;
const docs = renderChart({
  ...chartValues,
  secrets: { kek: 'aa'.repeat(32), databaseUrl: 'postgres://signet:pw@db/signet' },
});
const deployment = kind(docs, 'Deployment');
const container = (
  lookup(deployment, ['spec', 'template', 'spec', 'containers']) as Tree[]
)[0] as Tree;
const compose = parse(readFileSync('deploy/compose.yaml', 'utf8'), { merge: true }) as Tree;
const dockerfile = readFileSync('Dockerfile', 'utf8');

/** The script the Dockerfile's HEALTHCHECK runs (`CMD ["node", "bin/…"]`), read from the repository. */
function healthcheckScript(): string {
  const script = /^HEALTHCHECK[^\n]*\\\n\s*CMD \["node", "([^"]+)"\]/m.exec(dockerfile)?.[1];
  assert.ok(script !== undefined, 'HEALTHCHECK runs a node script');
  return readFileSync(script, 'utf8');
}

/** Every path a probe, health check or scrape of the artefacts asks for. */
function probePaths(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    paths.set(`helm ${probe}`, lookup(container, [probe, 'httpGet', 'path']) as string);
  }
  paths.set('Dockerfile HEALTHCHECK', /\/health\/[a-z]+/.exec(healthcheckScript())?.[0] as string);
  // The ServiceMonitor scrapes the main listener (no SIGNET_METRICS_ADDRESS in the chart).
  paths.set(
    'helm ServiceMonitor',
    lookup(kind(docs, 'ServiceMonitor'), ['spec', 'endpoints', '0', 'path']) as string,
  );
  paths.set(
    'haproxy httpchk',
    /option httpchk GET (\S+)/.exec(readFileSync('deploy/haproxy.cfg', 'utf8'))?.[1] as string,
  );
  return paths;
}

describe('deployment artefacts (Dockerfile, deploy/compose.yaml, deploy/helm/signet)', () => {
  it('name only variables of docs/configuration.md', () => {
    const dockerEnv = [...dockerfile.matchAll(/^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]+)=\S+\s*\\?$/gm)].map(
      (m) => m[1] as string,
    );
    assert.ok(dockerEnv.includes('SIGNET_DATA_DIR'), `Dockerfile ENV: ${dockerEnv.join(',')}`);
    const signetServices = Object.entries(compose['services'] as Tree).filter(([name]) =>
      name.startsWith('signet'),
    );
    assert.equal(signetServices.length, 2, 'two Signet nodes in compose.yaml');
    const composeEnv = signetServices.flatMap(([, s]) =>
      Object.keys((s as Tree)['environment'] as Tree),
    );
    const helmEnv = (container['env'] as Tree[]).map((e) => e['name'] as string);
    for (const [where, names] of [
      ['Dockerfile', dockerEnv],
      ['compose.yaml', composeEnv],
      ['helm', helmEnv],
    ] as const) {
      assert.deepEqual(
        undocumented(names),
        [],
        `${where} names variables docs/configuration.md lacks`,
      );
    }
  });

  it('probe and scrape only paths the server routes', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const app = await buildServer(await openServices(t, env));
    t.after(() => app.close());
    await app.ready();
    for (const [where, path] of probePaths()) {
      assert.ok(path?.startsWith('/'), `${where}: ${path}`);
      assert.ok(
        app.hasRoute({ method: 'GET', url: path }),
        `${where}: GET ${path} is not a route of the server`,
      );
    }
    assert.equal(lookup(container, ['livenessProbe', 'httpGet', 'path']), '/health/live');
    assert.equal(lookup(container, ['readinessProbe', 'httpGet', 'path']), '/health/ready');
  });

  it('Dockerfile: multi-stage Node 20 slim, non-root, a data volume, HEALTHCHECK on /health/live', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1] as string);
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const image of stages) assert.match(image, /^node:20(-[a-z]+)?-slim$/);
    const user = /^USER (\S+)/m.exec(dockerfile)?.[1];
    assert.ok(user !== undefined && !/^(root|0)(:|$)/.test(user), `USER ${user}`);
    const dataDir = /SIGNET_DATA_DIR=(\S+)/.exec(dockerfile)?.[1];
    assert.match(dockerfile, new RegExp(`^VOLUME \\["${dataDir}"\\]`, 'm'));
    assert.match(healthcheckScript(), /'\/health\/live'/);
    // What the running server reads from its package root: the build, the CLI entry, the
    // dependencies, and the consent pages' static files (src/server/routes/oauth2-assets.ts).
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const copied = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+)/gm)].map((m) => m[1]);
    for (const path of ['package.json', 'node_modules', 'dist', 'bin', 'src/server/static']) {
      assert.ok(copied.includes(path), `the runtime stage copies ${path}`);
    }
    assert.match(
      readFileSync('src/server/routes/oauth2-assets.ts', 'utf8'),
      /'src', 'server', 'static'/,
    );
  });

  it('compose.yaml: PostgreSQL, two read-only Signet nodes with the KEK and DATABASE_URL as secrets, a load balancer', () => {
    const services = compose['services'] as Tree;
    assert.match(String(lookup(services, ['postgres', 'image'])), /^postgres:/);
    for (const node of ['signet-a', 'signet-b']) {
      const s = services[node] as Tree;
      assert.equal(s['read_only'], true, node);
      const e = s['environment'] as Tree;
      assert.match(String(e['SIGNET_KEK_FILE']), /^\/run\/secrets\//, node);
      assert.match(String(e['DATABASE_URL_FILE']), /^\/run\/secrets\//, node);
      assert.equal(
        e['SIGNET_BASE_URL'],
        lookup(services, ['signet-a', 'environment', 'SIGNET_BASE_URL']),
        'one base URL',
      );
    }
    assert.notEqual(
      lookup(services, ['signet-a', 'environment', 'SIGNET_NODE_ID']),
      lookup(services, ['signet-b', 'environment', 'SIGNET_NODE_ID']),
    );
    const haproxy = readFileSync('deploy/haproxy.cfg', 'utf8');
    assert.match(haproxy, /balance roundrobin/);
    assert.match(haproxy, /server signet-a signet-a:8080 check/);
    assert.match(haproxy, /server signet-b signet-b:8080 check/);
    assert.ok(services['load-balancer']);
  });

  it('Helm: 2 replicas of 2 vCPU / 4 GiB, non-root read-only, Secret for the KEK and DATABASE_URL, PDB, ServiceMonitor', () => {
    assert.equal(lookup(deployment, ['spec', 'replicas']), 2);
    for (const side of ['requests', 'limits']) {
      assert.equal(lookup(container, ['resources', side, 'cpu']), '2');
      assert.equal(lookup(container, ['resources', side, 'memory']), '4Gi');
    }
    assert.equal(
      lookup(deployment, ['spec', 'template', 'spec', 'securityContext', 'runAsNonRoot']),
      true,
    );
    assert.equal(lookup(container, ['securityContext', 'readOnlyRootFilesystem']), true);
    const secret = kind(docs, 'Secret');
    const data = secret['data'] as Tree;
    assert.equal(Buffer.from(String(data['kek']), 'base64').toString(), 'aa'.repeat(32));
    assert.equal(
      Buffer.from(String(data['database-url']), 'base64').toString(),
      'postgres://signet:pw@db/signet',
    );
    const volumes = lookup(deployment, ['spec', 'template', 'spec', 'volumes']) as Tree[];
    const secretVolume = volumes.find((v) => v['secret'] !== undefined);
    assert.equal(
      lookup(secretVolume, ['secret', 'secretName']),
      lookup(secret, ['metadata', 'name']),
    );
    const mount = (container['volumeMounts'] as Tree[]).find(
      (m) => m['name'] === secretVolume?.['name'],
    );
    const env = new Map((container['env'] as Tree[]).map((e) => [e['name'] as string, e['value']]));
    assert.equal(env.get('SIGNET_KEK_FILE'), `${String(mount?.['mountPath'])}/kek`);
    assert.equal(env.get('DATABASE_URL_FILE'), `${String(mount?.['mountPath'])}/database-url`);
    assert.equal(lookup(kind(docs, 'PodDisruptionBudget'), ['spec', 'minAvailable']), 1);
    assert.equal(lookup(kind(docs, 'ServiceMonitor'), ['spec', 'endpoints', '0', 'port']), 'http');

    const external = renderChart({ ...chartValues, existingSecret: 'bank-signet' });
    assert.equal(
      external.filter((d) => d['kind'] === 'Secret').length,
      0,
      'existingSecret: no Secret rendered',
    );
    const volumes2 = lookup(kind(external, 'Deployment'), [
      'spec',
      'template',
      'spec',
      'volumes',
    ]) as Tree[];
    assert.equal(
      lookup(
        volumes2.find((v) => v['secret'] !== undefined),
        ['secret', 'secretName'],
      ),
      'bank-signet',
    );
  });

  it('are accepted by tools nobody here wrote: haproxy -c and docker-compose config', (t) => {
    if (!requireTools(t, 'haproxy', 'docker-compose')) return;
    // The balancer must start before the nodes resolve (init-addr none + Docker's resolver);
    // here no name resolves, as in a compose project whose nodes are not up yet.
    const haproxy = runTool('haproxy', ['-c', '-f', 'deploy/haproxy.cfg']);
    assert.equal(haproxy.status, 0, haproxy.stdout + haproxy.stderr);
    assert.match(haproxy.stdout + haproxy.stderr, /Configuration file is valid/);
    // docker-compose 1.29 checks the file against the Compose schema without a Docker daemon.
    const compose = runTool('docker-compose', ['-f', 'deploy/compose.yaml', 'config', '-q']);
    assert.equal(compose.status, 0, compose.stdout + compose.stderr);
  });
});
