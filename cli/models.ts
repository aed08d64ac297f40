/**
 * `earshot models pull NAME [--dtype D]`, `models list`, `models rm NAME`: the model dir by hand. `pull` reads the
 * export's config.json to know what it is (Whisper or NLLB / M2M100), then fetches that dtype's graphs with a
 * progress bar; `list` shows what is on disk, with sizes, dtypes and unfinished downloads.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NLLB_FILES, NLLB_GRAPHS, NLLB_MANIFEST } from '../gpu-runners/engines/nllb-onnx/engine.ts';
import { MOONSHINE_FILES, MOONSHINE_GRAPHS } from '../gpu-runners/engines/moonshine-onnx/model.ts';
import { MOONSHINE_MODELS } from '../gpu-runners/engines/moonshine-onnx/names.ts';
import { WHISPER_FILES, WHISPER_GRAPHS } from '../gpu-runners/engines/whisper-onnx/model.ts';
import { DTYPE_SUFFIX, DTYPES, parseDtypeSetting } from '../gpu-runners/models/dtype.ts';
import { defaultModelDir, MODEL_NAME } from '../gpu-runners/models/model-store.ts';
import { formatBytes } from '../gpu-runners/models/progress.ts';
import { resolveGraphs } from '../gpu-runners/models/resolve-graphs.ts';
import { modelStoreFromConfig } from '../gpu-runners/models/store-from-config.ts';
import { CONFIG_FLAGS, ConfigError, loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';

const USAGE = `usage: earshot models <pull NAME [--dtype D] | list | rm NAME> [--model-dir DIR] [--model-hub URL] [--model-s3 s3://…]

  pull NAME   download a Whisper, Moonshine or NLLB / M2M100 export (e.g. onnx-community/whisper-small,
              onnx-community/moonshine-base-ONNX, or the short names ${Object.keys(MOONSHINE_MODELS).join(', ')}) into the model dir;
              --dtype picks the variant (${DTYPES.join(', ')}, auto; per graph: encoder_model=fp32,decoder_model_merged=q4)
  list        models in the model dir: size, dtypes, unfinished downloads
  rm NAME     delete a model from the model dir
`;

export async function runModels(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONFIG_FLAGS, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, name] = positionals;
  if (values.help || !action) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const { help: _help, ...flags } = values;
  const config = loadConfig(process.env, flags as Record<string, string>);
  const modelDir = config.modelDir || defaultModelDir();
  switch (action) {
    case 'pull':
      return pull(requireName(MOONSHINE_MODELS[name as keyof typeof MOONSHINE_MODELS] ?? name), config, config.dtype);
    case 'list':
      process.stdout.write(listModels(modelDir));
      return 0;
    case 'rm': {
      const dir = join(modelDir, requireName(name));
      if (!existsSync(dir)) throw new ConfigError(`${name} is not in ${modelDir}`);
      rmSync(dir, { recursive: true, force: true });
      const org = join(dir, '..');
      if (org !== modelDir && existsSync(org) && readdirSync(org).length === 0) rmSync(org, { recursive: true });
      process.stdout.write(`removed ${dir}\n`);
      return 0;
    }
    default:
      process.stderr.write(`earshot models: unknown action "${action}"\n\n${USAGE}`);
      return 2;
  }
}

function requireName(name: string | undefined): string {
  if (!name || !MODEL_NAME.test(name))
    throw new ConfigError(`expected a model name like onnx-community/whisper-small, got ${JSON.stringify(name ?? '')}`);
  return name;
}

async function pull(name: string, config: ReturnType<typeof loadConfig>, dtype: string): Promise<number> {
  if (!config.modelHub && !config.modelS3)
    throw new ConfigError('nothing to pull from: EARSHOT_MODEL_HUB is empty (offline) and EARSHOT_MODEL_S3 is not set');
  const logger = createLogger('warn');
  const store = modelStoreFromConfig(config, logger);
  const configDir = await store.resolve(name, { required: ['config.json'] });
  const type = (JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { model_type?: string }).model_type;
  const layout =
    type === 'whisper'
      ? { files: WHISPER_FILES, graphs: WHISPER_GRAPHS, optional: [] }
      : type === 'moonshine'
        ? { files: MOONSHINE_FILES, graphs: MOONSHINE_GRAPHS, optional: [] }
        : type === 'm2m_100' || type === 'nllb'
          ? { files: NLLB_FILES, graphs: NLLB_GRAPHS, optional: NLLB_MANIFEST.optional ?? [] }
          : undefined;
  if (!layout) throw new ConfigError(`${name}: model_type "${type}" is neither Whisper, Moonshine nor NLLB / M2M100`);
  const device = config.device.startsWith('cuda') ? 'cuda' : 'cpu';
  const resolved = await resolveGraphs(store, { model: name, ...layout, dtype: parseDtypeSetting(dtype), device });
  process.stdout.write(`${name} (${type}, ${resolved.description}) is in ${resolved.dir}\n`);
  return 0;
}

/** A table of the models under `modelDir` (`org/name` or `name` directories holding a config.json). */
export function listModels(modelDir: string): string {
  const rows: string[][] = [];
  const visit = (dir: string, name: string) => {
    if (existsSync(join(dir, 'config.json'))) {
      const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      const size = files.reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
      const suffixes = Object.entries(DTYPE_SUFFIX).sort((a, b) => b[1].length - a[1].length);
      const dtypes = new Set<string>();
      for (const e of files) {
        const graph = /^(?:encoder_model|decoder_model_merged)(.*)\.onnx$/.exec(e.name);
        if (graph) dtypes.add(suffixes.find(([, suffix]) => suffix === graph[1])?.[0] ?? `?${graph[1]}`);
      }
      const partial = files.filter((e) => e.name.endsWith('.incomplete'));
      const note = partial.length
        ? `${partial.length} unfinished download(s): earshot models pull ${name} resumes`
        : '';
      rows.push([
        name,
        formatBytes(size),
        [...dtypes].sort((a, b) => DTYPES.indexOf(a as never) - DTYPES.indexOf(b as never)).join(' ') || '-',
        note,
      ]);
      return;
    }
    if (name.includes('/')) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) visit(join(dir, entry.name), name ? `${name}/${entry.name}` : entry.name);
  };
  if (existsSync(modelDir)) visit(modelDir, '');
  if (rows.length === 0) return `no models in ${modelDir}\n`;
  const table = [['NAME', 'SIZE', 'DTYPES', ''], ...rows];
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c]!.length)));
  return `${modelDir}\n${table
    .map((r) =>
      r
        .map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
