/**
 * `npm run lint:deps` (scripts/lint-deps.mjs with .dependency-cruiser.cjs) on small trees written here: it must fail
 * on each kind of forbidden import and pass the same tree without them. Spawns depcruise, so an integration test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/lint-deps.mjs', import.meta.url).pathname;
const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'earshot-lint-deps-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function lint(root: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [SCRIPT, '--root', root, 'cli', 'client', 'desktop', 'edge', 'shared'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A tree that keeps the rules: type-only imports of Node packages are free, Node-only folders may use Node. */
const CLEAN = {
  'shared/protocol.ts':
    "import type { Redis } from 'ioredis';\nexport type Store = Redis;\nexport const VERSION = 1;\n",
  'shared/queue/redis/driver.ts':
    "import { Redis } from 'ioredis';\nimport { VERSION } from '../../protocol.ts';\nexport const make = () => new Redis({ lazyConnect: true, db: VERSION });\n",
  'client/session.ts': "import { VERSION } from '../shared/protocol.ts';\nexport const session = () => VERSION;\n",
  'client/node/recorder.ts':
    "import { spawn } from 'node:child_process';\nimport { session } from '../session.ts';\nexport const record = () => [spawn, session];\n",
  'client/web/speaker.ts': "import { session } from '../session.ts';\nsession();\n",
  'cli/type.ts': "import { record } from '../client/node/recorder.ts';\nrecord();\n",
  'desktop/main.ts': "import { record } from '../client/node/recorder.ts';\nrecord();\n",
};

describe('lint:deps', () => {
  it('passes a tree that keeps the rules (type-only imports of Node packages included)', () => {
    const { status, output } = lint(tree(CLEAN));
    expect(output).toContain('no dependency violations');
    expect(status).toBe(0);
  });

  it('fails on node:* or a Node-only package in runtime-neutral code, cli/ or edge/ importing desktop/, a cycle, and a page reaching Node', () => {
    const { status, output } = lint(
      tree({
        ...CLEAN,
        'shared/files.ts': "import { readFile } from 'node:fs/promises';\nexport const read = readFile;\n",
        'shared/log.ts': "import { pino } from 'pino';\nexport const log = pino();\n",
        'client/session.ts':
          "import { VERSION } from '../shared/protocol.ts';\nimport { helper } from './helper.ts';\nexport const session = () => VERSION + helper();\n",
        'client/helper.ts': "import { session } from './session.ts';\nexport const helper = () => (session ? 1 : 0);\n",
        'client/web/speaker.ts': "import { view } from './view.ts';\nview();\n",
        'client/web/view.ts':
          "import { make } from '../../shared/queue/redis/driver.ts';\nexport const view = () => make();\n",
        'cli/type.ts': "import { settings } from '../desktop/core/settings.ts';\nsettings();\n",
        'edge/app.ts': "import { settings } from '../desktop/core/settings.ts';\nsettings();\n",
        'desktop/core/settings.ts': 'export const settings = () => ({});\n',
      }),
    );
    expect(status).not.toBe(0);
    expect(output).toMatch(/neutral-no-node-builtins: shared\/files\.ts → fs\/promises/);
    expect(output).toMatch(/neutral-no-node-packages: shared\/log\.ts → node_modules\/pino\//);
    expect(output).toMatch(/server-not-desktop: cli\/type\.ts → desktop\/core\/settings\.ts/);
    expect(output).toMatch(/server-not-desktop: edge\/app\.ts → desktop\/core\/settings\.ts/);
    expect(output).toMatch(/no-circular: client\/(session|helper)\.ts → /);
    expect(output).toMatch(/neutral-no-node-only-modules: client\/web\/view\.ts → shared\/queue\/redis\/driver\.ts/);
    expect(output).toMatch(/web-pages-reach-no-node: client\/web\/speaker\.ts → /);
  });
});
