/**
 * Reads the Hugging Face hub cache layout (what `huggingface-cli download` and the Python/JS hub clients write):
 * `<cache>/models--<org>--<name>/refs/<revision>` holds a commit hash, and `snapshots/<commit>/` the files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The snapshot directory of `name` at `revision` in the cache, or undefined when the cache has none. */
export function hfCacheSnapshot(cacheDir: string, name: string, revision = 'main'): string | undefined {
  const repo = join(cacheDir, `models--${name.replaceAll('/', '--')}`);
  const snapshots = join(repo, 'snapshots');
  if (!existsSync(snapshots)) return undefined;
  const ref = join(repo, 'refs', revision);
  if (existsSync(ref)) {
    const commit = readFileSync(ref, 'utf8').trim();
    if (existsSync(join(snapshots, commit))) return join(snapshots, commit);
  }
  // `revision` may itself be a commit; otherwise a cache with a single snapshot is unambiguous.
  if (existsSync(join(snapshots, revision))) return join(snapshots, revision);
  const all = readdirSync(snapshots);
  return all.length === 1 ? join(snapshots, all[0]!) : undefined;
}
