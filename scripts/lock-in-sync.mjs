// Exit 0 when node_modules holds exactly what package-lock.json names (npm's own record of the installed tree,
// node_modules/.package-lock.json, is compared entry by entry), 1 otherwise. Compares contents, not file times: a
// fresh clone or worktree has a lock file newer than an up-to-date node_modules, and must not reinstall it.
import { readFileSync } from 'node:fs';

const read = (path) => JSON.parse(readFileSync(path, 'utf8')).packages ?? {};
let wanted, installed;
try {
  wanted = read('package-lock.json');
  installed = read('node_modules/.package-lock.json');
} catch {
  process.exit(1);
}
for (const [path, entry] of Object.entries(wanted)) {
  if (path === '' || !path.startsWith('node_modules/')) continue;
  const have = installed[path];
  // Optional packages for other platforms are never installed; a missing one is fine.
  if (!have) {
    if (entry.optional) continue;
    process.exit(1);
  }
  if (have.version !== entry.version) process.exit(1);
}
process.exit(0);
