/** The documentation names what the code does: every setting in README's table, every error code in protocol.md. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../shared/config.ts';
import { ERROR_CODES } from '../shared/errors.ts';

describe('docs', () => {
  it('README lists every setting with its flag and default, and the two quick-start commands', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const s of Object.values(SETTINGS))
      expect(readme).toContain(`| \`${s.env}\` | \`--${s.flag}\` | \`${String(s.default)}\` |`);
    expect(readme).toMatch(/```sh\nnpm start .*\nnpm test .*\n```/);
  });

  it('docs/protocol.md documents every error code clients can receive', () => {
    const doc = readFileSync('docs/protocol.md', 'utf8');
    const undocumented = Object.keys(ERROR_CODES).filter(
      (code) => !doc.includes(`\`${code}\``) && code !== 'internal' && code !== 'engine_unavailable',
    );
    expect(undocumented).toEqual([]);
  });

  it("README's layout table names every top-level folder of the tree, and only folders that exist", () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
    const listed = [...table.matchAll(/^\| `([^`]+)\/` \|/gm)].map((m) => m[1]);
    const ignored = readFileSync('.gitignore', 'utf8')
      .split('\n')
      .filter((l) => /^[\w.-]+\/$/.test(l))
      .map((l) => l.slice(0, -1));
    const folders = readdirSync('.', { withFileTypes: true })
      .filter(
        (e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && !ignored.includes(e.name),
      )
      .map((e) => e.name);
    expect(listed.slice().sort()).toEqual(folders.slice().sort());
  });

  it('README and docs/ link only to files inside the repository, and every such file exists', () => {
    const root = resolve('.');
    const docs = [
      'README.md',
      ...readdirSync('docs')
        .filter((f) => f.endsWith('.md'))
        .map((f) => join('docs', f)),
    ];
    const broken: string[] = [];
    for (const doc of docs) {
      for (const [, target = ''] of readFileSync(doc, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue; // web links and anchors
        const path = resolve(dirname(doc), target.split('#')[0] ?? '');
        if (relative(root, path).startsWith('..') || !existsSync(path)) broken.push(`${doc} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
