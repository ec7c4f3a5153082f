/**
 * docs/security.md is the catalogue that code comments and test names cite as "docs/security.md <ID>"
 * or "docs/security.md §n.n". This test fails when src/, test/, web/, bench/, scripts/ or docs/ cite a
 * catalogue ID (a prefix the catalogue itself defines: INV-n, PDF-nn, SAD-nn …) anywhere, or a
 * V-rule or section in the list right after "docs/security.md", that docs/security.md does not have, when the catalogue names a test file that does not
 * exist, or when an entry names neither a test file nor says "not covered".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CATALOGUE = 'docs/security.md';
const SCANNED = ['src', 'test', 'web/src', 'bench', 'scripts', 'docs'];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'node_modules' ? [] : walk(p);
    return /\.(ts|tsx|mjs|js|md)$/.test(n) ? [p] : [];
  });
}

interface Catalogue {
  /** Every entry ID: INV-1, V12, PDF-07 … */
  readonly ids: ReadonlySet<string>;
  /** Section numbers of the headings (`### §3.10 …` gives `3.10`). */
  readonly sections: ReadonlySet<string>;
  /** Each entry's "Tested in" cell. */
  readonly rows: ReadonlyMap<string, string>;
  /** The prefixes of the dashed IDs (INV, PDF, SAD …), as the catalogue defines them. */
  readonly prefixes: readonly string[];
}

function readCatalogue(text: string): Catalogue {
  const rows = new Map<string, string>();
  for (const m of text.matchAll(/^\| ([A-Z]{1,4}-\d{1,2}|V\d{1,2}) \|.*\| ([^|]*) \|$/gm)) {
    rows.set(m[1] as string, m[2] as string);
  }
  const sections = new Set([...text.matchAll(/^#{2,4} §(\d+(?:\.\d+)*)\b/gm)].map((m) => m[1] as string));
  const prefixes = [...new Set([...rows.keys()].filter((id) => id.includes('-')).map((id) => id.split('-')[0] as string))];
  return { ids: new Set(rows.keys()), sections, rows, prefixes };
}

/** A comment's text on one line: the ` * ` and `// ` of continuation lines removed. */
function joinCommentLines(text: string): string {
  return text.replace(/\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ');
}

interface Citations {
  readonly ids: Map<string, string[]>;
  readonly sections: Map<string, string[]>;
  readonly rules: Map<string, string[]>;
}

function add(map: Map<string, string[]>, key: string, where: string): void {
  const list = map.get(key) ?? [];
  list.push(where);
  map.set(key, list);
}

/** One token of the list that follows "docs/security.md": a section, a V-rule, an ID, a bare number or a separator. */
const LIST_TOKEN = /\s*(?:§\d+(?:\.\d+)*|V\d{1,2}\b|[A-Z]{2,4}-(?:\d{1,2}\b|\*)|\d{1,2}\b|and\b|[,/…–]|\.\.\.)/y;

/** The list right after one "docs/security.md": tokens up to the first word that is not one. */
function citationList(text: string, from: number): string {
  LIST_TOKEN.lastIndex = from;
  let end = from;
  while (LIST_TOKEN.exec(text) !== null) end = LIST_TOKEN.lastIndex;
  return text.slice(from, end);
}

/**
 * The citations in one text: every dashed ID with a catalogue prefix (two digits, INV one)
 * anywhere, and the section numbers and V-rules in the list right after "docs/security.md".
 */
function collectCitations(text: string, where: string, prefixes: readonly string[], into: Citations): void {
  const dashed = new RegExp(`\\b(?:(INV)-(\\d)|(${prefixes.filter((p) => p !== 'INV').join('|')})-(\\d{2}))\\b`, 'g');
  for (const m of text.matchAll(dashed)) {
    add(into.ids, m[1] !== undefined ? `${m[1]}-${m[2]}` : `${m[3]}-${m[4]}`, where);
  }
  const joined = joinCommentLines(text);
  for (const m of joined.matchAll(/security\.md/g)) {
    const list = citationList(joined, m.index + m[0].length);
    for (const s of list.matchAll(/§(\d+(?:\.\d+)*)/g)) add(into.sections, s[1] as string, where);
    for (const v of list.matchAll(/\bV(\d{1,2})\b/g)) add(into.rules, `V${v[1]}`, where);
  }
}

function missing(cited: Map<string, string[]>, known: ReadonlySet<string>): string[] {
  return [...cited]
    .filter(([key]) => !known.has(key))
    .map(([key, where]) => `${key} (${[...new Set(where)].slice(0, 3).join(', ')})`)
    .sort();
}

describe('security catalogue (docs/security.md)', () => {
  const catalogueText = readFileSync(CATALOGUE, 'utf8');
  const catalogue = readCatalogue(catalogueText);
  const cited: Citations = { ids: new Map(), sections: new Map(), rules: new Map() };
  for (const file of SCANNED.flatMap(walk)) {
    if (file === CATALOGUE) continue;
    collectCitations(readFileSync(file, 'utf8'), file, catalogue.prefixes, cited);
  }

  it('reads the catalogue and the citations (the patterns still match)', () => {
    assert.ok(catalogue.ids.size > 200, `catalogue entries: ${catalogue.ids.size}`);
    for (const p of ['INV', 'PDF', 'DOS', 'ASN', 'SAD', 'OA', 'SCA', 'AC', 'KEY', 'AUD', 'FLT']) {
      assert.ok(catalogue.prefixes.includes(p), `prefix ${p}`);
    }
    assert.ok(catalogue.sections.has('3.10') && catalogue.sections.has('2.4'));
    assert.ok(cited.ids.size > 150, `distinct IDs cited: ${cited.ids.size}`);
    assert.ok(cited.sections.has('3.10') && cited.rules.size > 5);
  });

  it('finds every kind of citation in a sample, and ignores look-alikes', () => {
    const sample: Citations = { ids: new Map(), sections: new Map(), rules: new Map() };
    // IDs unknown to the catalogue, assembled so that this file itself cites none of them.
    const [pdf, inv] = ['PDF-' + '99', 'INV-' + '9'];
    const text = [
      `/** Foo (docs/security.md V9, ${pdf}; RFC 6238 §5.2). */`,
      '// see docs/security.md',
      `// §9.9 and ${inv}, ISO 32000-1 §7.5, PDF-1.7, HMAC-SHA-256, V8 heap`,
    ].join('\n');
    collectCitations(text, 'sample', catalogue.prefixes, sample);
    assert.deepEqual([...sample.ids.keys()].sort(), [inv, pdf]);
    assert.deepEqual([...sample.rules.keys()], ['V9']);
    assert.deepEqual([...sample.sections.keys()], ['9.9']);
    assert.deepEqual(missing(sample.ids, catalogue.ids), [`${inv} (sample)`, `${pdf} (sample)`]);
  });

  it('gives every entry its own ID (two helpers once both took FLT-24 and KEY-12)', () => {
    const ids = [...catalogueText.matchAll(/^\| ([A-Z]{1,4}-\d{1,2}|V\d{1,2}) \|/gm)].map((m) => m[1] as string);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), []);
  });

  it('has an entry for every ID cited in the tree', () => {
    assert.deepEqual(missing(cited.ids, catalogue.ids), []);
  });

  it('has every V-rule and section cited after "docs/security.md"', () => {
    assert.deepEqual(missing(cited.rules, catalogue.ids), []);
    assert.deepEqual(missing(cited.sections, catalogue.sections), []);
  });

  it('names only test files that exist, and every entry names one or says "not covered"', () => {
    const absent: string[] = [];
    const empty: string[] = [];
    for (const [id, cell] of catalogue.rows) {
      const paths = [...cell.matchAll(/`(test\/[^`]+)`/g)].map((m) => m[1] as string);
      for (const p of paths) if (!existsSync(p) || !statSync(p).isFile()) absent.push(`${id}: ${p}`);
      if (paths.length === 0 && !/not covered|defended by/.test(cell)) empty.push(id);
    }
    assert.deepEqual(absent, []);
    assert.deepEqual(empty, []);
  });
});
