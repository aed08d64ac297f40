/**
 * Static model of infra/ (Dockerfiles, compose.yaml, Kubernetes manifests) and of the facts in the code they must
 * agree with (CLI commands, settings, routes, metrics), plus the checks. Each check returns a list of problems
 * (empty = consistent), so the test can also prove that a deliberately broken copy of the manifests is caught.
 * Docker and Kubernetes cannot run on the development machines; this is how the manifests stay honest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from 'zod';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const INFRA = path.join(ROOT, 'infra');
const K8S = path.join(INFRA, 'k8s');

/** Environment variables a manifest may set that are not earshot settings. */
export const EXTRA_ENV = new Set(['REDIS_URL', 'NODE_ENV']);
export const ROLES = ['stt', 'mt'] as const;
export const PROBE_PATHS = new Set(['/health', '/health/full']);
/** Base and third-party images the manifests may use without building them here (repository names, no tag). */
export const WELL_KNOWN_IMAGES = new Set(['node', 'nvidia/cuda', 'redis']);
/** The queue-depth gauge the edge exports and KEDA scales on. */
export const QUEUE_DEPTH_METRIC = 'earshot_queue_depth';

// ---------------------------------------------------------------------------------------------------------------
// Model

export interface DockerInstruction {
  op: string;
  args: string;
}
export interface DockerStage {
  name: string | undefined;
  from: string;
  instructions: DockerInstruction[];
}
export interface Dockerfile {
  /** Relative to the repository root. */
  file: string;
  stages: DockerStage[];
}

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  container_name?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  stop_grace_period?: string;
  profiles?: string[];
  deploy?: {
    resources?: {
      reservations?: { devices?: Array<{ driver?: string; count?: number | string; capabilities?: string[] }> };
    };
  };
}
export interface Compose {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export interface K8sProbe {
  httpGet?: { path?: string; port?: string | number };
  tcpSocket?: { port?: string | number };
  exec?: { command?: string[] };
}
export interface K8sContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: K8sProbe;
  livenessProbe?: K8sProbe;
  startupProbe?: K8sProbe;
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds?: number } } };
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
}
export interface K8sPodSpec {
  containers?: K8sContainer[];
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: Array<{ key?: string; operator?: string; effect?: string }>;
}
export interface K8sDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string | Record<string, string>>;
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: K8sPodSpec;
    };
    ports?: Array<{ name?: string; port?: number; targetPort?: string | number }>;
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    triggers?: Array<{ type?: string; metadata?: Record<string, string> }>;
  };
}
export interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

export interface InfraModel {
  dockerfiles: Dockerfile[];
  /** Patterns of the build context's .dockerignore (the repository root, the context compose.yaml uses). */
  dockerignore: string[];
  compose: Compose;
  /** Every YAML file under infra/k8s except kustomization.yaml, by file name. */
  k8s: Array<{ file: string; docs: K8sDoc[] }>;
  kustomization: Kustomization;
}

export interface CodeFacts {
  /** `earshot <command>` names handled by cli/main.ts's command switch. */
  commands: Set<string>;
  /** Setting env var → its flag and schema (shared/config.ts SETTINGS). */
  settings: Map<string, { flag: string; schema: z.ZodType }>;
  flags: Set<string>;
  /** Text of every TypeScript source the images run (cli, shared, edge, gpu-runners). */
  source: string;
  /** Text of cli/*.ts. */
  cliSource: string;
  /** Top-level paths the entry point bin/earshot.mjs reaches through relative imports. */
  runtimePaths: Set<string>;
  /** Debian packages scripts/ensure-deps.sh installs for running earshot. */
  debianPackages: string[];
}

/** Parses YAML text (all documents); throws with the file name on any syntax error. */
export function parseYamlDocs(file: string, text: string): unknown[] {
  const docs = parseAllDocuments(text, { merge: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not YAML documents`);
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown).filter((d) => d !== null && d !== undefined);
}

/** Reads a Dockerfile: continuation lines joined, comments dropped, global ARG defaults substituted into FROM. */
export function parseDockerfile(file: string, text: string): Dockerfile {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  if (pending.trim()) logical.push(pending.trim());

  const globalArgs = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const line of logical) {
    if (!line) continue;
    const m = /^(\w+)\s*(.*)$/s.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2] ?? '';
    if (op === 'ARG' && stages.length === 0) {
      const [k, v = ''] = args.split('=', 2);
      globalArgs.set(k!.trim(), v.trim());
      continue;
    }
    if (op === 'FROM') {
      const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const image = (parts[0] ?? '').replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_, a: string | undefined, b: string | undefined) => globalArgs.get((a ?? b)!) ?? '',
      );
      const name = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined;
      stages.push({ name, from: image, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push({ op, args });
  }
  return { file, stages };
}

/** `ENV A=1 B="two"` (or legacy `ENV A 1`) → entries. */
export function dockerEnv(instruction: DockerInstruction): Array<[string, string]> {
  const tokens = instruction.args.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  if (tokens.length > 0 && !tokens[0]!.includes('=')) return [[tokens[0]!, tokens.slice(1).join(' ')]];
  return tokens.map((t) => {
    const i = t.indexOf('=');
    return [t.slice(0, i), t.slice(i + 1).replace(/^"(.*)"$|^'(.*)'$/s, '$1$2')];
  });
}

/** The JSON (exec) form of CMD / ENTRYPOINT / HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const json = args.slice(args.indexOf('['));
  if (!args.includes('[')) return undefined;
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export function finalStage(df: Dockerfile): DockerStage {
  const s = df.stages.at(-1);
  if (!s) throw new Error(`${df.file}: no FROM`);
  return s;
}

export function stageEnv(stage: DockerStage): Map<string, string> {
  return new Map(stage.instructions.filter((i) => i.op === 'ENV').flatMap(dockerEnv));
}

export function loadInfra(): InfraModel {
  const dockerDir = path.join(INFRA, 'docker');
  const dockerfiles = fs
    .readdirSync(dockerDir)
    .filter((f) => /^Dockerfile(\.[\w-]+)?$/.test(f))
    .sort()
    .map((f) => parseDockerfile(`infra/docker/${f}`, fs.readFileSync(path.join(dockerDir, f), 'utf8')));
  const ignoreFile = path.join(ROOT, '.dockerignore');
  const dockerignore = fs.existsSync(ignoreFile)
    ? fs
        .readFileSync(ignoreFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : [];
  const compose = parse(fs.readFileSync(path.join(INFRA, 'compose.yaml'), 'utf8'), {
    merge: true,
    maxAliasCount: 100,
  }) as Compose;
  const yamlFiles = fs
    .readdirSync(K8S)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const k8s = yamlFiles
    .filter((f) => f !== 'kustomization.yaml')
    .map((file) => ({ file, docs: parseYamlDocs(file, fs.readFileSync(path.join(K8S, file), 'utf8')) as K8sDoc[] }));
  const kustomization = parse(fs.readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8')) as Kustomization;
  return { dockerfiles, dockerignore, compose, k8s, kustomization };
}

// ---------------------------------------------------------------------------------------------------------------
// Facts from the code

function walkTs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : walkTs(p);
    return /\.(ts|mts|mjs|js)$/.test(e.name) ? [p] : [];
  });
}

/** The `case '…':` labels of the switch in cli/main.ts that dispatches commands (the one with `case 'all'`). */
export function commandsFromCli(mainTs: string): Set<string> {
  const found = new Set<string>();
  for (let at = mainTs.indexOf('switch'); at !== -1; at = mainTs.indexOf('switch', at + 1)) {
    const open = mainTs.indexOf('{', at);
    if (open === -1) break;
    let depth = 0;
    let end = open;
    for (; end < mainTs.length; end++) {
      if (mainTs[end] === '{') depth++;
      else if (mainTs[end] === '}' && --depth === 0) break;
    }
    const body = mainTs.slice(open, end);
    const cases = [...body.matchAll(/case\s+'([^']+)'\s*:/g)].map((m) => m[1]!);
    if (cases.includes('all')) for (const c of cases) if (!c.startsWith('-') && c !== 'help') found.add(c);
  }
  return found;
}

/** Top-level repository paths reachable from `entry` through relative static and dynamic imports. */
export function importClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [path.resolve(ROOT, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file) || !fs.existsSync(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      todo.push(path.resolve(path.dirname(file), m[1]!));
    }
  }
  return new Set([...seen].map((f) => path.relative(ROOT, f).split(path.sep)[0]!));
}

export async function loadCodeFacts(): Promise<CodeFacts> {
  const { SETTINGS } = await import('../../shared/config.ts');
  const settings = new Map<string, { flag: string; schema: z.ZodType }>();
  for (const s of Object.values(SETTINGS) as Array<{ env: string; flag: string; schema: z.ZodType }>) {
    settings.set(s.env, { flag: s.flag, schema: s.schema });
  }
  const mainTs = fs.readFileSync(path.join(ROOT, 'cli/main.ts'), 'utf8');
  const read = (files: string[]) => files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const ensureDeps = fs.readFileSync(path.join(ROOT, 'scripts/ensure-deps.sh'), 'utf8');
  const debianPackages = /^packages=\(([^)]*)\)/m.exec(ensureDeps)?.[1]?.trim().split(/\s+/) ?? [];
  return {
    commands: commandsFromCli(mainTs),
    settings,
    flags: new Set([...settings.values()].map((s) => s.flag)),
    source: read(['cli', 'shared', 'edge', 'gpu-runners'].flatMap((d) => walkTs(path.join(ROOT, d)))),
    cliSource: read(walkTs(path.join(ROOT, 'cli'))),
    runtimePaths: importClosure('bin/earshot.mjs'),
    debianPackages,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers over the model

/** `registry/repo:tag` → `registry/repo` (digests and tags dropped). */
export function imageRepo(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function k8sDocs(model: InfraModel): Array<{ file: string; doc: K8sDoc }> {
  return model.k8s.flatMap(({ file, docs }) => docs.map((doc) => ({ file, doc })));
}

function byKind(model: InfraModel, kind: string): Array<{ file: string; doc: K8sDoc }> {
  return k8sDocs(model).filter((d) => d.doc.kind === kind);
}

export function deployments(model: InfraModel) {
  return byKind(model, 'Deployment');
}

export function containersOf(doc: K8sDoc): K8sContainer[] {
  return doc.spec?.template?.spec?.containers ?? [];
}

export function composeEnv(service: ComposeService): Map<string, string | undefined> {
  const env = service.environment;
  if (!env) return new Map();
  if (Array.isArray(env)) {
    return new Map(
      env.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, undefined])),
    );
  }
  return new Map(Object.entries(env).map(([k, v]) => [k, v === null ? undefined : String(v)]));
}

export function asList(cmd: string | string[] | undefined): string[] | undefined {
  if (cmd === undefined) return undefined;
  return Array.isArray(cmd) ? cmd.map(String) : cmd.split(/\s+/).filter(Boolean);
}

/** Image repository → the Dockerfile that builds it, from compose.yaml's `build` entries. */
export function builtImages(model: InfraModel): Map<string, Dockerfile> {
  const out = new Map<string, Dockerfile>();
  for (const svc of Object.values(model.compose.services ?? {})) {
    if (!svc.build || !svc.image) continue;
    const b = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
    const context = path.resolve(INFRA, b.context ?? '.');
    const file = path.relative(ROOT, path.resolve(context, b.dockerfile ?? 'Dockerfile'));
    const df = model.dockerfiles.find((d) => d.file === file);
    if (df) out.set(imageRepo(svc.image), df);
  }
  return out;
}

/** Literal env of a Kubernetes container: the ConfigMaps it loads, then its own env, over the image's ENV. */
export function k8sContainerEnv(model: InfraModel, container: K8sContainer): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const df = container.image ? builtImages(model).get(imageRepo(container.image)) : undefined;
  if (df) for (const [k, v] of stageEnv(finalStage(df))) env.set(k, v);
  for (const from of container.envFrom ?? []) {
    const cm = byKind(model, 'ConfigMap').find((d) => d.doc.metadata?.name === from.configMapRef?.name);
    for (const [k, v] of Object.entries(cm?.doc.data ?? {})) env.set(k, String(v));
  }
  for (const e of container.env ?? []) env.set(e.name, e.value === undefined ? undefined : String(e.value));
  return env;
}

/** A compose service's env over its image's Dockerfile ENV. */
export function composeServiceEnv(model: InfraModel, svc: ComposeService): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const df = svc.image ? builtImages(model).get(imageRepo(svc.image)) : undefined;
  if (df) for (const [k, v] of stageEnv(finalStage(df))) env.set(k, v);
  for (const [k, v] of composeEnv(svc)) env.set(k, v);
  return env;
}

function isEarshotImage(model: InfraModel, image: string | undefined): boolean {
  return image !== undefined && builtImages(model).has(imageRepo(image));
}

function isGpuImage(model: InfraModel, image: string | undefined): boolean {
  const df = image ? builtImages(model).get(imageRepo(image)) : undefined;
  return df !== undefined && imageRepo(finalStage(df).from) === 'nvidia/cuda';
}

/** Compose durations: `30s`, `1m30s`, `500ms`, `1h`. */
export function durationSeconds(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  let total = 0;
  let matched = '';
  for (const m of String(d).matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : m[2] === 'ms' ? n / 1000 : n / 1e6;
    matched += m[0];
  }
  return matched === String(d) ? total : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks: each returns problems, [] when consistent

/** Every env var set anywhere is a setting (or REDIS_URL / NODE_ENV) and every literal value passes its schema. */
export function checkEnv(model: InfraModel, facts: CodeFacts): string[] {
  const uses: Array<{ where: string; name: string; value: string | undefined }> = [];
  for (const df of model.dockerfiles) {
    for (const [name, value] of stageEnv(finalStage(df))) uses.push({ where: `${df.file} ENV`, name, value });
  }
  for (const [name, svc] of Object.entries(model.compose.services ?? {})) {
    for (const [k, v] of composeEnv(svc)) uses.push({ where: `compose ${name}`, name: k, value: v });
  }
  for (const { file, doc } of k8sDocs(model)) {
    if (doc.kind === 'ConfigMap') {
      for (const [k, v] of Object.entries(doc.data ?? {}))
        uses.push({ where: `${file} ConfigMap ${doc.metadata?.name}`, name: k, value: String(v) });
    }
    for (const c of containersOf(doc)) {
      for (const e of c.env ?? [])
        uses.push({
          where: `${file} ${c.name}`,
          name: e.name,
          value: e.value === undefined ? undefined : String(e.value),
        });
      for (const from of c.envFrom ?? []) {
        const ref = from.configMapRef?.name;
        if (ref && !byKind(model, 'ConfigMap').some((d) => d.doc.metadata?.name === ref)) {
          uses.push({ where: `${file} ${c.name}`, name: `envFrom ConfigMap ${ref}`, value: undefined });
        }
      }
    }
  }
  const problems: string[] = [];
  for (const u of uses) {
    if (u.name.startsWith('envFrom ')) {
      problems.push(`${u.where}: ${u.name} is not defined in infra/k8s`);
      continue;
    }
    const setting = facts.settings.get(u.name);
    if (!setting && !EXTRA_ENV.has(u.name)) {
      problems.push(`${u.where}: ${u.name} is not a setting in shared/config.ts SETTINGS`);
      continue;
    }
    if (setting && u.value !== undefined) {
      const parsed = setting.schema.safeParse(u.value);
      if (!parsed.success)
        problems.push(
          `${u.where}: ${u.name}=${JSON.stringify(u.value)} is rejected by its schema: ${parsed.error.issues[0]?.message}`,
        );
    }
    if (u.name === 'REDIS_URL' && u.value !== undefined && !/^rediss?:\/\/[^/\s]+/.test(u.value))
      problems.push(`${u.where}: REDIS_URL=${u.value} is not a redis:// URL`);
  }
  return problems;
}

/** `earshot` argument lists: a known command; `runner` with `--role stt|mt`; other flags are settings' flags. */
export function checkArgs(where: string, args: string[] | undefined, facts: CodeFacts): string[] {
  if (!args || args.length === 0)
    return [`${where}: no earshot command (the image's CMD would apply; set it explicitly)`];
  const [command, ...rest] = args as [string, ...string[]];
  const problems: string[] = [];
  if (!facts.commands.has(command))
    problems.push(
      `${where}: "${command}" is not a command of cli/main.ts (known: ${[...facts.commands].join(', ') || 'none'})`,
    );
  let role: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] = arg.startsWith('--')
      ? (arg.slice(2).split('=', 2) as [string, string | undefined])
      : [undefined, undefined];
    if (flag === undefined) {
      problems.push(`${where}: unexpected argument "${arg}"`);
      continue;
    }
    const value = inline ?? rest[++i];
    if (flag === 'role') {
      role = value;
      if (!ROLES.includes(value as (typeof ROLES)[number]))
        problems.push(`${where}: --role ${value} is not one of ${ROLES.join('|')}`);
      if (!/\brole\b/.test(facts.cliSource) || !facts.cliSource.includes(`'${value}'`))
        problems.push(`${where}: cli/ does not handle --role ${value}`);
    } else if (!facts.flags.has(flag)) {
      problems.push(`${where}: --${flag} is not a flag of shared/config.ts SETTINGS`);
    }
  }
  if (command === 'runner' && role === undefined) problems.push(`${where}: runner without --role`);
  if (command !== 'runner' && role !== undefined) problems.push(`${where}: --role given to "${command}"`);
  return problems;
}

export function checkCommands(model: InfraModel, facts: CodeFacts): string[] {
  const problems: string[] = [];
  for (const df of model.dockerfiles) {
    const stage = finalStage(df);
    const entry = stage.instructions.filter((i) => i.op === 'ENTRYPOINT').at(-1);
    const cmd = stage.instructions.filter((i) => i.op === 'CMD').at(-1);
    if (JSON.stringify(entry ? execForm(entry.args) : undefined) !== JSON.stringify(['node', 'bin/earshot.mjs'])) {
      problems.push(`${df.file}: ENTRYPOINT must be ["node", "bin/earshot.mjs"] (exec form, so SIGTERM reaches Node)`);
    }
    problems.push(...checkArgs(`${df.file} CMD`, cmd ? execForm(cmd.args) : undefined, facts));
  }
  if (!fs.existsSync(path.join(ROOT, 'bin/earshot.mjs'))) problems.push('bin/earshot.mjs does not exist');
  for (const [name, svc] of Object.entries(model.compose.services ?? {})) {
    if (!isEarshotImage(model, svc.image)) continue;
    if (svc.entrypoint !== undefined) problems.push(`compose ${name}: overrides the image's entrypoint`);
    problems.push(...checkArgs(`compose ${name}`, asList(svc.command), facts));
  }
  for (const { file, doc } of k8sDocs(model)) {
    for (const c of containersOf(doc)) {
      if (!isEarshotImage(model, c.image)) continue;
      if (c.command !== undefined)
        problems.push(`${file} ${c.name}: sets command (overrides the image's ENTRYPOINT); use args`);
      problems.push(...checkArgs(`${file} ${c.name}`, c.args, facts));
    }
  }
  return problems;
}

/** Images: earshot images are built by a Dockerfile here (via compose `build`), the rest are well known. */
export function checkImages(model: InfraModel): string[] {
  const problems: string[] = [];
  const built = builtImages(model);
  for (const [name, svc] of Object.entries(model.compose.services ?? {})) {
    if (svc.build) {
      const b = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      const file = path.resolve(INFRA, b.context ?? '.', b.dockerfile ?? 'Dockerfile');
      if (!fs.existsSync(file))
        problems.push(`compose ${name}: build.dockerfile ${path.relative(ROOT, file)} does not exist`);
      else if (!model.dockerfiles.some((d) => d.file === path.relative(ROOT, file)))
        problems.push(`compose ${name}: builds ${path.relative(ROOT, file)}, which is not under infra/docker`);
      if (path.resolve(INFRA, b.context ?? '.') !== ROOT)
        problems.push(`compose ${name}: build context must be the repository root (..), where .dockerignore is`);
      if (!svc.image) problems.push(`compose ${name}: build without image (the Kubernetes manifests need the name)`);
    }
    if (!svc.image) problems.push(`compose ${name}: no image`);
    else if (!built.has(imageRepo(svc.image)) && !WELL_KNOWN_IMAGES.has(imageRepo(svc.image))) {
      problems.push(`compose ${name}: image ${svc.image} is neither built here nor well known`);
    }
  }
  for (const df of model.dockerfiles) {
    if (![...built.values()].includes(df))
      problems.push(`${df.file}: no compose service builds it, so no image name refers to it`);
    const stageNames = new Set<string>();
    for (const s of df.stages) {
      if (!stageNames.has(s.from) && !WELL_KNOWN_IMAGES.has(imageRepo(s.from)))
        problems.push(
          `${df.file}: FROM ${s.from || '(unresolved ARG)'} is neither an earlier stage nor a well-known base`,
        );
      if (s.name) stageNames.add(s.name);
    }
  }
  for (const { file, doc } of k8sDocs(model)) {
    for (const c of containersOf(doc)) {
      const repo = c.image ? imageRepo(c.image) : undefined;
      if (!repo) problems.push(`${file} ${c.name}: no image`);
      else if (!built.has(repo) && !WELL_KNOWN_IMAGES.has(repo))
        problems.push(`${file} ${c.name}: image ${c.image} is neither built here nor well known`);
    }
  }
  for (const img of model.kustomization.images ?? []) {
    if (!built.has(img.name)) problems.push(`kustomization.yaml: images entry ${img.name} is not an image built here`);
  }
  return problems;
}

/** Dockerfiles: multi-stage, production deps only, the engines' Debian packages, non-root, a healthcheck. */
export function checkDockerfiles(model: InfraModel, facts: CodeFacts): string[] {
  const problems: string[] = [];
  const ignored = new Set(model.dockerignore.map((p) => p.replace(/^\/|\/$/g, '')));
  if (!ignored.has('node_modules'))
    problems.push('.dockerignore: node_modules must be excluded from the build context');
  for (const df of model.dockerfiles) {
    const stage = finalStage(df);
    if (df.stages.length < 2) problems.push(`${df.file}: not multi-stage`);
    const runs = df.stages.flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
    if (!runs.some((r) => /npm ci\b[^&]*--omit=dev/.test(r))) problems.push(`${df.file}: no \`npm ci --omit=dev\``);
    const depsStage = df.stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /npm ci\b/.test(i.args)));
    if (!depsStage || !stageEnv(depsStage).has('ONNXRUNTIME_NODE_INSTALL'))
      problems.push(`${df.file}: the npm ci stage must set ONNXRUNTIME_NODE_INSTALL`);
    const user = stage.instructions
      .filter((i) => i.op === 'USER')
      .at(-1)
      ?.args.split(':')[0];
    if (!user || user === 'root' || user === '0')
      problems.push(`${df.file}: the runtime stage must run as a non-root USER`);
    const health = stage.instructions.find((i) => i.op === 'HEALTHCHECK');
    const healthPaths = [...(health?.args ?? '').matchAll(/(\/health[\w/]*)/g)].map((m) => m[1]!);
    if (healthPaths.length === 0 || healthPaths.some((p) => !PROBE_PATHS.has(p)))
      problems.push(`${df.file}: HEALTHCHECK must probe /health or /health/full`);
    if (health && !/process\.env\.PORT/.test(health.args))
      problems.push(`${df.file}: HEALTHCHECK must use the container's PORT (runners use 8081)`);
    const env = stageEnv(stage);
    const port = env.get('PORT');
    const exposed = stage.instructions
      .filter((i) => i.op === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/))
      .map((p) => p.split('/')[0]);
    if (!port || !exposed.includes(port))
      problems.push(`${df.file}: ENV PORT=${port} is not EXPOSEd (${exposed.join(' ')})`);
    if (env.get('HOST') !== '0.0.0.0')
      problems.push(`${df.file}: HOST must be 0.0.0.0 in a container (the default listens on loopback)`);
    const copied = new Set<string>();
    for (const i of stage.instructions.filter((x) => x.op === 'COPY' && !/--from=/.test(x.args))) {
      const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        const top = src.replace(/^\.\//, '').replace(/\/$/, '');
        copied.add(top);
        if (!fs.existsSync(path.join(ROOT, top)))
          problems.push(`${df.file}: COPY ${src}: no such path in the repository`);
        if (ignored.has(top)) problems.push(`${df.file}: COPY ${src}, but .dockerignore excludes it`);
      }
    }
    for (const needed of facts.runtimePaths) {
      if (!copied.has(needed))
        problems.push(`${df.file}: the runtime stage does not copy ${needed}/ (imported by bin/earshot.mjs)`);
    }
    if (!copied.has('package.json'))
      problems.push(`${df.file}: the runtime stage does not copy package.json ("type": "module")`);
    if (imageRepo(stage.from) === 'node') {
      if (stage.from !== 'node:20-bookworm-slim')
        problems.push(
          `${df.file}: CPU runtime base must be node:20-bookworm-slim (Debian's engine packages), got ${stage.from}`,
        );
      const installed = stage.instructions
        .filter((i) => i.op === 'RUN' && /apt-get install/.test(i.args))
        .flatMap((i) => i.args.split(/\s+/));
      for (const pkg of [...facts.debianPackages, 'ffmpeg']) {
        if (!installed.includes(pkg)) problems.push(`${df.file}: does not install the Debian package ${pkg}`);
      }
    } else if (imageRepo(stage.from) === 'nvidia/cuda') {
      if (!/cudnn/.test(stage.from))
        problems.push(`${df.file}: the CUDA base must include cuDNN (onnxruntime-node's CUDA provider needs cuDNN 9)`);
      if (
        !stage.instructions.some(
          (i) => i.op === 'COPY' && /--from=\S+/.test(i.args) && /\/usr\/local\/bin\/node\b/.test(i.args),
        )
      )
        problems.push(`${df.file}: must copy Node from a node stage`);
      if (depsStage && stageEnv(depsStage).get('ONNXRUNTIME_NODE_INSTALL') !== 'cuda12')
        problems.push(`${df.file}: the GPU image needs ONNXRUNTIME_NODE_INSTALL=cuda12 (the CUDA provider libraries)`);
    }
  }
  return problems;
}

function resolvePort(container: K8sContainer, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  if (typeof port === 'string' && /^\d+$/.test(port)) return resolvePort(container, Number(port));
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function labelsMatch(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Ports: PORT env = containerPort = probe ports = Service targetPorts = scrape annotations; compose publishing. */
export function checkPorts(model: InfraModel): string[] {
  const problems: string[] = [];
  for (const { file, doc } of deployments(model)) {
    const annotations = doc.spec?.template?.metadata?.annotations ?? {};
    for (const c of containersOf(doc)) {
      const where = `${file} ${c.name}`;
      const earshot = isEarshotImage(model, c.image);
      const envPort = earshot ? k8sContainerEnv(model, c).get('PORT') : undefined;
      if (earshot) {
        if (!envPort) problems.push(`${where}: no PORT`);
        else if (resolvePort(c, Number(envPort)) === undefined)
          problems.push(
            `${where}: PORT=${envPort} is not a containerPort (${(c.ports ?? []).map((p) => p.containerPort).join(', ')})`,
          );
        if (annotations['prometheus.io/port'] !== undefined && annotations['prometheus.io/port'] !== envPort)
          problems.push(`${where}: prometheus.io/port ${annotations['prometheus.io/port']} ≠ PORT ${envPort}`);
      }
      for (const [kind, probe] of [
        ['readinessProbe', c.readinessProbe],
        ['livenessProbe', c.livenessProbe],
        ['startupProbe', c.startupProbe],
      ] as const) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
        if (port === undefined) continue;
        const resolved = resolvePort(c, port);
        if (resolved === undefined) problems.push(`${where}: ${kind} port ${port} is not a container port`);
        else if (earshot && String(resolved) !== envPort)
          problems.push(`${where}: ${kind} port ${resolved} ≠ PORT ${envPort}`);
      }
    }
  }
  for (const { file, doc } of byKind(model, 'Service')) {
    const selector = doc.spec?.selector as Record<string, string> | undefined;
    const targets = deployments(model).filter((d) => labelsMatch(selector, d.doc.spec?.template?.metadata?.labels));
    if (targets.length !== 1) {
      problems.push(`${file} Service ${doc.metadata?.name}: selector matches ${targets.length} Deployments`);
      continue;
    }
    for (const p of doc.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      if (!containersOf(targets[0]!.doc).some((c) => resolvePort(c, target) !== undefined)) {
        problems.push(
          `${file} Service ${doc.metadata?.name}: targetPort ${target} is not a port of Deployment ${targets[0]!.doc.metadata?.name}`,
        );
      }
    }
  }
  // REDIS_URL must name a Service (and port) defined here, or a host outside the cluster.
  for (const { doc } of byKind(model, 'ConfigMap')) {
    const url = doc.data?.REDIS_URL;
    if (!url) continue;
    const u = new URL(url);
    const [svcName, ns] = u.hostname.split('.');
    if (!u.hostname.includes('.') || u.hostname.endsWith('.svc.cluster.local')) {
      const svc = byKind(model, 'Service').find((s) => s.doc.metadata?.name === svcName);
      if (!svc)
        problems.push(`ConfigMap ${doc.metadata?.name}: REDIS_URL host ${u.hostname} is not a Service in infra/k8s`);
      else if (!(svc.doc.spec?.ports ?? []).some((p) => p.port === Number(u.port || 6379)))
        problems.push(
          `ConfigMap ${doc.metadata?.name}: REDIS_URL port ${u.port || 6379} is not a port of Service ${svcName}`,
        );
      if (
        ns &&
        u.hostname.endsWith('.svc.cluster.local') &&
        ns !== (model.kustomization.namespace ?? svc?.doc.metadata?.namespace)
      )
        problems.push(`ConfigMap ${doc.metadata?.name}: REDIS_URL namespace ${ns} ≠ ${model.kustomization.namespace}`);
    }
  }
  const services = model.compose.services ?? {};
  for (const [name, svc] of Object.entries(services)) {
    const env = composeServiceEnv(model, svc);
    const redisUrl = env.get('REDIS_URL');
    if (redisUrl) {
      const host = new URL(redisUrl).hostname;
      if (!services[host]) problems.push(`compose ${name}: REDIS_URL host ${host} is not a compose service`);
    }
    if (!isEarshotImage(model, svc.image)) continue;
    const port = env.get('PORT');
    for (const p of svc.ports ?? []) {
      const target = typeof p === 'object' ? String(p.target) : String(p).split(':').at(-1)!.split('/')[0];
      if (target !== port) problems.push(`compose ${name}: publishes container port ${target}, but PORT=${port}`);
    }
  }
  return problems;
}

/** Probes hit only /health (liveness) and /health/full (readiness), routes that exist in the code. */
export function checkProbes(model: InfraModel, facts: CodeFacts): string[] {
  const problems: string[] = [];
  for (const p of PROBE_PATHS) if (!facts.source.includes(`'${p}'`)) problems.push(`the code serves no ${p} route`);
  for (const { file, doc } of deployments(model)) {
    for (const c of containersOf(doc)) {
      const where = `${file} ${c.name}`;
      for (const [kind, probe] of [
        ['readinessProbe', c.readinessProbe],
        ['livenessProbe', c.livenessProbe],
        ['startupProbe', c.startupProbe],
      ] as const) {
        const p = probe?.httpGet?.path;
        if (p !== undefined && !PROBE_PATHS.has(p))
          problems.push(`${where}: ${kind} path ${p} is not /health or /health/full`);
      }
      if (!isEarshotImage(model, c.image)) continue;
      if (c.readinessProbe?.httpGet?.path !== '/health/full')
        problems.push(`${where}: readinessProbe must be GET /health/full`);
      if (c.livenessProbe?.httpGet?.path !== '/health') problems.push(`${where}: livenessProbe must be GET /health`);
    }
    const annotations = doc.spec?.template?.metadata?.annotations ?? {};
    const metricsPath = annotations['prometheus.io/path'];
    if (metricsPath !== undefined && (metricsPath !== '/metrics' || !facts.source.includes(`'/metrics'`)))
      problems.push(`${file}: prometheus.io/path ${metricsPath} is not a route the code serves`);
  }
  return problems;
}

/** Drain: termination grace ≥ preStop delay + EARSHOT_DRAIN_MS (k8s) and stop_grace_period ≥ drain (compose). */
export function checkShutdown(model: InfraModel): string[] {
  const problems: string[] = [];
  for (const { file, doc } of deployments(model)) {
    const pod = doc.spec?.template?.spec;
    for (const c of containersOf(doc)) {
      if (!isEarshotImage(model, c.image)) continue;
      const drainMs = Number(k8sContainerEnv(model, c).get('EARSHOT_DRAIN_MS') ?? 0);
      const preStop = c.lifecycle?.preStop;
      const sleepCmd = preStop?.exec?.command;
      const preStopS = preStop?.sleep?.seconds ?? (sleepCmd?.[0] === 'sleep' ? Number(sleepCmd[1]) : 0);
      const grace = pod?.terminationGracePeriodSeconds ?? 30;
      if (grace < preStopS + drainMs / 1000)
        problems.push(
          `${file} ${c.name}: terminationGracePeriodSeconds ${grace} < preStop ${preStopS}s + drain ${drainMs / 1000}s`,
        );
      const args = c.args ?? [];
      if (args[0] === 'edge' && !preStop)
        problems.push(
          `${file} ${c.name}: the edge needs a preStop delay so the Service stops routing to it before SIGTERM`,
        );
    }
  }
  for (const [name, svc] of Object.entries(model.compose.services ?? {})) {
    if (!isEarshotImage(model, svc.image)) continue;
    const drainMs = Number(composeServiceEnv(model, svc).get('EARSHOT_DRAIN_MS') ?? 0);
    const grace = durationSeconds(svc.stop_grace_period ?? '10s');
    if (grace === undefined)
      problems.push(`compose ${name}: stop_grace_period ${svc.stop_grace_period} is not a duration`);
    else if (grace < drainMs / 1000)
      problems.push(`compose ${name}: stop_grace_period ${svc.stop_grace_period} < EARSHOT_DRAIN_MS ${drainMs}`);
  }
  return problems;
}

/** kustomization.yaml lists exactly the manifest files; everything is in its namespace. */
export function checkKustomization(model: InfraModel): string[] {
  const problems: string[] = [];
  const listed = new Set(model.kustomization.resources ?? []);
  const files = new Set(model.k8s.map((k) => k.file));
  for (const f of files) if (!listed.has(f)) problems.push(`kustomization.yaml: does not list ${f}`);
  for (const f of listed) if (!files.has(f)) problems.push(`kustomization.yaml: lists ${f}, which is not in infra/k8s`);
  const ns = model.kustomization.namespace;
  if (!ns) problems.push('kustomization.yaml: no namespace');
  if (!byKind(model, 'Namespace').some((d) => d.doc.metadata?.name === ns))
    problems.push(`no Namespace ${ns} manifest`);
  for (const { file, doc } of k8sDocs(model)) {
    if (doc.kind !== 'Namespace' && doc.metadata?.namespace !== undefined && doc.metadata.namespace !== ns)
      problems.push(`${file} ${doc.kind} ${doc.metadata?.name}: namespace ${doc.metadata.namespace} ≠ ${ns}`);
    if (!doc.apiVersion || !doc.kind || !doc.metadata?.name)
      problems.push(`${file}: a document without apiVersion, kind or metadata.name`);
  }
  for (const { file, doc } of deployments(model)) {
    const sel = doc.spec?.selector?.matchLabels;
    if (!labelsMatch(sel, doc.spec?.template?.metadata?.labels))
      problems.push(`${file} Deployment ${doc.metadata?.name}: selector does not match its pod labels`);
  }
  return problems;
}

/** KEDA: ScaledObjects target an existing STT-runner Deployment and scale on the STT queue-depth gauge. */
export function checkScaling(model: InfraModel, facts: CodeFacts): string[] {
  const problems: string[] = [];
  const scaled = byKind(model, 'ScaledObject');
  if (scaled.length === 0) problems.push('no KEDA ScaledObject');
  if (!facts.source.includes(QUEUE_DEPTH_METRIC)) problems.push(`the code exports no ${QUEUE_DEPTH_METRIC} metric`);
  for (const { file, doc } of scaled) {
    const ref = doc.spec?.scaleTargetRef;
    const target = deployments(model).find((d) => d.doc.metadata?.name === ref?.name);
    if ((ref?.kind ?? 'Deployment') !== 'Deployment' || !target) {
      problems.push(
        `${file}: scaleTargetRef ${ref?.kind ?? 'Deployment'}/${ref?.name} is not a Deployment in infra/k8s`,
      );
    } else if (
      !containersOf(target.doc).some((c) => JSON.stringify(c.args) === JSON.stringify(['runner', '--role', 'stt']))
    ) {
      problems.push(`${file}: scales ${ref?.name}, which is not an STT runner`);
    }
    if (target?.doc.spec?.replicas !== undefined)
      problems.push(`${target.file}: Deployment ${ref?.name} sets replicas, which re-applying would reset under KEDA`);
    const triggers = doc.spec?.triggers ?? [];
    if (triggers.length === 0) problems.push(`${file}: no triggers`);
    for (const t of triggers) {
      if (t.type !== 'prometheus') {
        problems.push(
          `${file}: trigger ${t.type}: scale on the prometheus queue-depth gauge (BullMQ's prioritized jobs are not in a list)`,
        );
        continue;
      }
      const q = t.metadata?.query ?? '';
      if (!q.includes(QUEUE_DEPTH_METRIC) || !/queue\s*=\s*"stt"/.test(q))
        problems.push(`${file}: query ${q} does not read ${QUEUE_DEPTH_METRIC}{queue="stt"}`);
      if (!t.metadata?.serverAddress || !Number(t.metadata.threshold))
        problems.push(`${file}: prometheus trigger needs serverAddress and a threshold`);
    }
  }
  return problems;
}

/** GPU: the CUDA image's containers request nvidia.com/gpu and land on GPU nodes, and only they use cuda devices. */
export function checkGpu(model: InfraModel): string[] {
  const problems: string[] = [];
  let k8sGpu = 0;
  for (const { file, doc } of deployments(model)) {
    const pod = doc.spec?.template?.spec;
    for (const c of containersOf(doc)) {
      const gpu = Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0);
      const device = k8sContainerEnv(model, c).get('EARSHOT_DEVICE') ?? '';
      const gpuImage = isGpuImage(model, c.image);
      if (!gpuImage && gpu === 0 && !device.startsWith('cuda')) continue;
      k8sGpu++;
      const where = `${file} ${c.name}`;
      if (!gpuImage) problems.push(`${where}: uses a GPU but not the CUDA image`);
      if (gpu < 1) problems.push(`${where}: no nvidia.com/gpu limit`);
      if (!device.startsWith('cuda')) problems.push(`${where}: EARSHOT_DEVICE=${device || '(unset)'} on a GPU`);
      if (!pod?.nodeSelector || Object.keys(pod.nodeSelector).length === 0)
        problems.push(`${where}: no nodeSelector for GPU nodes`);
      if (!(pod?.tolerations ?? []).some((t) => t.key === 'nvidia.com/gpu'))
        problems.push(`${where}: no toleration for nvidia.com/gpu taints`);
    }
  }
  if (k8sGpu === 0) problems.push('infra/k8s: no GPU runner (nvidia.com/gpu)');
  let composeGpu = 0;
  for (const [name, svc] of Object.entries(model.compose.services ?? {})) {
    const devices = svc.deploy?.resources?.reservations?.devices ?? [];
    const device = composeServiceEnv(model, svc).get('EARSHOT_DEVICE') ?? '';
    const gpuImage = isGpuImage(model, svc.image);
    if (!gpuImage && devices.length === 0 && !device.startsWith('cuda')) continue;
    composeGpu++;
    if (!gpuImage) problems.push(`compose ${name}: uses a GPU but not the CUDA image`);
    if (!devices.some((d) => d.driver === 'nvidia' && (d.capabilities ?? []).includes('gpu')))
      problems.push(`compose ${name}: no nvidia GPU reservation`);
    if (!device.startsWith('cuda')) problems.push(`compose ${name}: EARSHOT_DEVICE=${device || '(unset)'} on a GPU`);
    if (!(svc.profiles ?? []).includes('gpu'))
      problems.push(`compose ${name}: GPU services belong to the optional "gpu" profile`);
  }
  if (composeGpu === 0) problems.push('compose.yaml: no GPU runner');
  return problems;
}

/** compose.yaml: dependencies exist and are health-checked; runners scale (no container_name, no host ports). */
export function checkCompose(model: InfraModel): string[] {
  const problems: string[] = [];
  const services = model.compose.services ?? {};
  const hasHealthcheck = (svc: ComposeService): boolean => {
    if (svc.healthcheck?.disable) return false;
    if (svc.healthcheck?.test) return true;
    const df = svc.image ? builtImages(model).get(imageRepo(svc.image)) : undefined;
    return df !== undefined && finalStage(df).instructions.some((i) => i.op === 'HEALTHCHECK');
  };
  for (const [name, svc] of Object.entries(services)) {
    const deps: Record<string, { condition?: string }> = Array.isArray(svc.depends_on)
      ? Object.fromEntries(svc.depends_on.map((d) => [d, {}]))
      : (svc.depends_on ?? {});
    for (const [dep, cond] of Object.entries(deps)) {
      if (!services[dep]) problems.push(`compose ${name}: depends_on ${dep}, which is not a service`);
      else if (cond.condition !== 'service_healthy')
        problems.push(`compose ${name}: depends_on ${dep} must wait for service_healthy`);
      else if (!hasHealthcheck(services[dep]!))
        problems.push(`compose ${name}: depends_on ${dep} (service_healthy), which has no healthcheck`);
      if ((services[dep]?.profiles ?? []).length > 0 && (svc.profiles ?? []).length === 0)
        problems.push(`compose ${name}: depends on ${dep}, which only runs in a profile`);
    }
    const args = asList(svc.command) ?? [];
    if (isEarshotImage(model, svc.image) && !svc.depends_on && composeServiceEnv(model, svc).get('REDIS_URL'))
      problems.push(`compose ${name}: uses Redis without depends_on it`);
    if (args[0] === 'runner') {
      if (svc.container_name) problems.push(`compose ${name}: container_name prevents --scale`);
      if ((svc.ports ?? []).length > 0) problems.push(`compose ${name}: fixed host ports prevent --scale`);
    }
    for (const v of (svc as { volumes?: Array<string | { source?: string; type?: string }> }).volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0]! : v.type === 'volume' ? v.source : undefined;
      if (source && !/^[./~]/.test(source) && !(model.compose.volumes && source in model.compose.volumes))
        problems.push(`compose ${name}: volume ${source} is not declared under volumes`);
    }
  }
  for (const role of ['edge', 'stt-runner', 'mt-runner', 'redis'])
    if (!services[role]) problems.push(`compose.yaml: no ${role} service`);
  const edge = services.edge;
  if (edge && (edge.ports ?? []).length === 0) problems.push('compose edge: publishes no port');
  return problems;
}

/** Roles covered: an edge, an STT runner and an MT runner in both compose.yaml and infra/k8s. */
export function checkRoles(model: InfraModel): string[] {
  const problems: string[] = [];
  const want = [['edge'], ['runner', '--role', 'stt'], ['runner', '--role', 'mt']].map((a) => JSON.stringify(a));
  const composeArgs = new Set(
    Object.values(model.compose.services ?? {}).map((s) => JSON.stringify(asList(s.command))),
  );
  const k8sArgs = new Set(deployments(model).flatMap((d) => containersOf(d.doc).map((c) => JSON.stringify(c.args))));
  for (const w of want) {
    if (!composeArgs.has(w)) problems.push(`compose.yaml: no service runs ${w}`);
    if (!k8sArgs.has(w)) problems.push(`infra/k8s: no Deployment runs ${w}`);
  }
  return problems;
}

export const ALL_CHECKS = {
  env: checkEnv,
  commands: checkCommands,
  images: (m: InfraModel) => checkImages(m),
  dockerfiles: checkDockerfiles,
  ports: (m: InfraModel) => checkPorts(m),
  probes: checkProbes,
  shutdown: (m: InfraModel) => checkShutdown(m),
  kustomization: (m: InfraModel) => checkKustomization(m),
  scaling: checkScaling,
  gpu: (m: InfraModel) => checkGpu(m),
  compose: (m: InfraModel) => checkCompose(m),
  roles: (m: InfraModel) => checkRoles(m),
} satisfies Record<string, (m: InfraModel, f: CodeFacts) => string[]>;

export function allProblems(model: InfraModel, facts: CodeFacts): string[] {
  return Object.values(ALL_CHECKS).flatMap((check) => check(model, facts));
}
