/**
 * docs/security.md SAD-26 bench: median time of a PIN check per class (right PIN, wrong first character,
 * wrong last character, wrong length, unknown credential = the dummy KDF) with the production
 * scrypt parameters, classes interleaved round-robin so drift hits all alike, next to a raw
 * node:crypto scrypt measured in the same run. BENCH_PIN_ATTEMPTS per class (default 60; the
 * catalogue's 10^4 takes about an hour at N = 2^15).
 */
import { randomBytes, scrypt } from 'node:crypto';
import { createScryptHasher, defaultScryptParams } from '../src/auth/index.js';

const attempts = Number(process.env['BENCH_PIN_ATTEMPTS'] ?? 60);
const hasher = createScryptHasher(defaultScryptParams);
const stored = await hasher.hash('482915');

const classes: readonly { readonly name: string; readonly run: () => Promise<boolean> }[] = [
  { name: 'right PIN', run: () => hasher.verify('482915', stored) },
  { name: 'wrong first char', run: () => hasher.verify('582915', stored) },
  { name: 'wrong last char', run: () => hasher.verify('482916', stored) },
  { name: 'wrong length', run: () => hasher.verify('48291', stored) },
  { name: 'unknown credential', run: () => hasher.verifyDummy('482915') },
  {
    name: 'raw scrypt',
    run: () =>
      new Promise((resolve, reject) => {
        const { N, r, p } = defaultScryptParams;
        scrypt('482915', randomBytes(16), 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err) =>
          err ? reject(err) : resolve(true),
        );
      }),
  },
];

const samples = classes.map(() => [] as number[]);
for (let i = 0; i < attempts; i++) {
  for (const [k, c] of classes.entries()) {
    const start = performance.now();
    await c.run();
    samples[k]!.push(performance.now() - start);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const medians = samples.map(median);
const raw = medians[medians.length - 1]!;
console.log(`PIN check medians over ${attempts} attempts per class (scrypt N=${defaultScryptParams.N}, r=${defaultScryptParams.r}, p=${defaultScryptParams.p}):`);
for (const [k, c] of classes.entries()) {
  console.log(`  ${c.name.padEnd(20)} ${medians[k]!.toFixed(2).padStart(8)} ms  (${(medians[k]! / raw).toFixed(3)}x raw scrypt)`);
}
const pin = medians.slice(0, -1);
const spread = (Math.max(...pin) - Math.min(...pin)) / Math.min(...pin);
console.log(`  spread between PIN classes: ${(spread * 100).toFixed(2)}% of the fastest median`);
