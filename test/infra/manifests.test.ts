/**
 * infra/ is checked statically (Docker and Kubernetes cannot run on the development machines): every Dockerfile,
 * compose.yaml and Kubernetes manifest parses, and they agree with each other and with the code — commands of
 * cli/main.ts, settings of shared/config.ts, the /health routes, the queue-depth metric. The second half breaks a
 * copy of the manifests in typical ways and demands that the checks notice.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_CHECKS,
  allProblems,
  commandsFromCli,
  containersOf,
  deployments,
  durationSeconds,
  imageRepo,
  importClosure,
  k8sDocs,
  loadCodeFacts,
  loadInfra,
  parseDockerfile,
  type CodeFacts,
  type InfraModel,
  type K8sContainer,
  type K8sDoc,
} from './infra-model.ts';

let model: InfraModel;
let facts: CodeFacts;

beforeAll(async () => {
  model = loadInfra();
  facts = await loadCodeFacts();
});

describe('infra manifests parse', () => {
  it('finds both Dockerfiles, compose.yaml and the Kubernetes manifests', () => {
    expect(model.dockerfiles.map((d) => d.file)).toEqual(['infra/docker/Dockerfile', 'infra/docker/Dockerfile.gpu']);
    expect(Object.keys(model.compose.services ?? {}).sort()).toEqual([
      'edge',
      'mt-runner',
      'redis',
      'stt-runner',
      'stt-runner-gpu',
    ]);
    const kinds = k8sDocs(model)
      .map(({ doc }) => `${doc.kind}/${doc.metadata?.name}`)
      .sort();
    expect(kinds).toEqual([
      'ConfigMap/earshot-config',
      'Deployment/edge',
      'Deployment/mt-runner',
      'Deployment/redis',
      'Deployment/stt-runner',
      'Namespace/earshot',
      'ScaledObject/stt-runner',
      'Service/edge',
      'Service/redis',
    ]);
  });

  it('reads the command names and settings from the code it checks against', () => {
    expect(facts.commands.has('all')).toBe(true);
    expect(facts.settings.has('PORT')).toBe(true);
    expect([...facts.runtimePaths]).toEqual(expect.arrayContaining(['bin', 'cli', 'shared']));
    expect(facts.debianPackages).toEqual(expect.arrayContaining(['pocketsphinx', 'apertium']));
  });
});

describe('infra manifests agree with each other and with the code', () => {
  for (const [name, check] of Object.entries(ALL_CHECKS)) {
    it(name, () => {
      expect(check(model, facts)).toEqual([]);
    });
  }
});

describe('parsers', () => {
  it('reads Dockerfile stages, ARG-substituted FROM and continuation lines', () => {
    const df = parseDockerfile(
      'x',
      'ARG B=node:20\nFROM ${B} AS deps\nRUN a \\\n  && b\n# c\nFROM deps\nENV A=1 B="two words"\nCMD ["all"]\n',
    );
    expect(df.stages.map((s) => [s.name, s.from])).toEqual([
      ['deps', 'node:20'],
      [undefined, 'deps'],
    ]);
    expect(df.stages[0]!.instructions).toEqual([{ op: 'RUN', args: 'a && b' }]);
  });

  it('finds the commands of a CLI switch, not other switches', () => {
    const src =
      "switch (role) { case 'stt': break; }\nswitch (command) { case 'all': case 'edge': case '--help': case 'help': }";
    expect([...commandsFromCli(src)]).toEqual(['all', 'edge']);
  });

  it('image names, durations, import closure', () => {
    expect(imageRepo('ghcr.io/x/earshot:0.1@sha256:ab')).toBe('ghcr.io/x/earshot');
    expect(imageRepo('localhost:5000/earshot')).toBe('localhost:5000/earshot');
    expect(durationSeconds('1m30s')).toBe(90);
    expect(durationSeconds('thirty')).toBeUndefined();
    expect(importClosure('bin/earshot.mjs').has('cli')).toBe(true);
  });
});

/** A deep copy of the model with one thing broken. */
function broken(fn: (m: InfraModel) => void): InfraModel {
  const copy = structuredClone(model);
  fn(copy);
  return copy;
}

function k8s(m: InfraModel, kind: string, name: string): K8sDoc {
  const found = k8sDocs(m).find(({ doc }) => doc.kind === kind && doc.metadata?.name === name);
  if (!found) throw new Error(`${kind}/${name} missing`);
  return found.doc;
}

function container(m: InfraModel, deployment: string): K8sContainer {
  const d = deployments(m).find(({ doc }) => doc.metadata?.name === deployment);
  const c = d && containersOf(d.doc)[0];
  if (!c) throw new Error(`${deployment} missing`);
  return c;
}

describe('drift is caught', () => {
  const cases: Array<[string, (m: InfraModel) => void, RegExp]> = [
    [
      'a typo in a compose command',
      (m) => (m.compose.services!['stt-runner']!.command = ['runer', '--role', 'stt']),
      /"runer" is not a command/,
    ],
    ['an unknown role', (m) => (container(m, 'mt-runner').args = ['runner', '--role', 'tts']), /--role tts/],
    [
      'a runner without a role',
      (m) => (m.compose.services!['mt-runner']!.command = ['runner']),
      /runner without --role/,
    ],
    ['an unknown flag', (m) => (container(m, 'edge').args = ['edge', '--prot', '8080']), /--prot is not a flag/],
    [
      'a misspelled env var',
      (m) => container(m, 'mt-runner').env!.push({ name: 'EARSHOT_MTT', value: 'apertium' }),
      /EARSHOT_MTT is not a setting/,
    ],
    [
      'an env value the schema rejects',
      (m) => (k8s(m, 'ConfigMap', 'earshot-config').data!.LOG_LEVEL = 'loud'),
      /LOG_LEVEL="loud" is rejected/,
    ],
    [
      'a ConfigMap reference that does not exist',
      (m) => (container(m, 'edge').envFrom = [{ configMapRef: { name: 'earshot-cfg' } }]),
      /ConfigMap earshot-cfg is not defined/,
    ],
    [
      'a probe on a made-up path',
      (m) => (container(m, 'edge').readinessProbe!.httpGet!.path = '/healthz'),
      /path \/healthz/,
    ],
    [
      'a liveness probe on /health/full',
      (m) => (container(m, 'edge').livenessProbe!.httpGet!.path = '/health/full'),
      /livenessProbe must be GET \/health/,
    ],
    [
      'a containerPort that is not PORT',
      (m) => (container(m, 'stt-runner').ports = [{ name: 'http', containerPort: 8080 }]),
      /PORT=8081 is not a containerPort/,
    ],
    [
      'a Service targeting a missing port',
      (m) => (k8s(m, 'Service', 'edge').spec!.ports![0]!.targetPort = 'web'),
      /targetPort web/,
    ],
    [
      'a Service selecting nothing',
      (m) => (k8s(m, 'Service', 'edge').spec!.selector = { 'app.kubernetes.io/name': 'egde' }),
      /selector matches 0/,
    ],
    [
      'REDIS_URL naming no Service',
      (m) => (k8s(m, 'ConfigMap', 'earshot-config').data!.REDIS_URL = 'redis://redis-master:6379'),
      /redis-master is not a Service/,
    ],
    [
      'an image nothing builds',
      (m) => (container(m, 'edge').image = 'earshot-cpu:dev'),
      /earshot-cpu:dev is neither built here/,
    ],
    [
      'an unlisted kustomization resource',
      (m) => (m.kustomization.resources = m.kustomization.resources!.filter((r) => r !== 'mt-runner.yaml')),
      /does not list mt-runner.yaml/,
    ],
    [
      'a ScaledObject aimed at a missing Deployment',
      (m) => (k8s(m, 'ScaledObject', 'stt-runner').spec!.scaleTargetRef!.name = 'stt-runners'),
      /stt-runners is not a Deployment/,
    ],
    [
      'replicas on the KEDA-scaled Deployment',
      (m) => (deployments(m).find((d) => d.doc.metadata?.name === 'stt-runner')!.doc.spec!.replicas = 2),
      /sets replicas/,
    ],
    [
      'a ScaledObject on the redis list trigger',
      (m) =>
        (k8s(m, 'ScaledObject', 'stt-runner').spec!.triggers = [
          { type: 'redis', metadata: { listName: 'bull:stt:wait' } },
        ]),
      /trigger redis/,
    ],
    [
      'a GPU runner without its GPU',
      (m) => delete container(m, 'stt-runner').resources!.limits!['nvidia.com/gpu'],
      /no nvidia.com\/gpu limit/,
    ],
    [
      'a GPU runner without the toleration',
      (m) =>
        (deployments(m).find((d) => d.doc.metadata?.name === 'stt-runner')!.doc.spec!.template!.spec!.tolerations = []),
      /no toleration/,
    ],
    [
      'a grace period shorter than the drain',
      (m) =>
        (deployments(m).find(
          (d) => d.doc.metadata?.name === 'edge',
        )!.doc.spec!.template!.spec!.terminationGracePeriodSeconds = 20),
      /terminationGracePeriodSeconds 20/,
    ],
    [
      'compose stop_grace_period shorter than the drain',
      (m) => (m.compose.services!.edge!.stop_grace_period = '10s'),
      /stop_grace_period 10s/,
    ],
    [
      'depends_on an unknown service',
      (m) => (m.compose.services!['mt-runner']!.depends_on = { valkey: { condition: 'service_healthy' } }),
      /depends_on valkey/,
    ],
    [
      'depends_on a service without healthcheck',
      (m) => delete m.compose.services!.redis!.healthcheck,
      /no healthcheck/,
    ],
    [
      'a runner with a container_name',
      (m) => (m.compose.services!['stt-runner']!.container_name = 'stt'),
      /container_name prevents --scale/,
    ],
    [
      'a runner with a fixed host port',
      (m) => (m.compose.services!['stt-runner']!.ports = ['8081:8081']),
      /fixed host ports/,
    ],
    [
      'an edge publishing the wrong container port',
      (m) => (m.compose.services!.edge!.ports = ['8080:80']),
      /publishes container port 80/,
    ],
    [
      'a build of a missing Dockerfile',
      (m) => (m.compose.services!.edge!.build = { context: '..', dockerfile: 'infra/docker/Dockerfile.cpu' }),
      /Dockerfile.cpu does not exist/,
    ],
    [
      'a Dockerfile ENTRYPOINT change',
      (m) =>
        (m.dockerfiles[0]!.stages.at(-1)!.instructions.find((i) => i.op === 'ENTRYPOINT')!.args =
          'node bin/earshot.mjs'),
      /ENTRYPOINT must be/,
    ],
    [
      'a Dockerfile CMD typo',
      (m) =>
        (m.dockerfiles[1]!.stages.at(-1)!.instructions.find((i) => i.op === 'CMD')!.args =
          '["runner", "--role", "sst"]'),
      /--role sst/,
    ],
    [
      'a Dockerfile that forgets a source folder',
      (m) =>
        (m.dockerfiles[0]!.stages.at(-1)!.instructions = m.dockerfiles[0]!.stages.at(-1)!.instructions.filter(
          (i) => i.args !== 'edge ./edge',
        )),
      /does not copy edge\//,
    ],
    [
      'a Dockerfile running as root',
      (m) =>
        (m.dockerfiles[0]!.stages.at(-1)!.instructions = m.dockerfiles[0]!.stages.at(-1)!.instructions.filter(
          (i) => i.op !== 'USER',
        )),
      /non-root USER/,
    ],
    [
      'a .dockerignore excluding sources',
      (m) => m.dockerignore.push('shared'),
      /COPY shared, but .dockerignore excludes it/,
    ],
  ];
  for (const [what, breakIt, expected] of cases) {
    it(what, () => {
      const problems = allProblems(broken(breakIt), facts);
      expect(problems.join('\n')).toMatch(expected);
    });
  }
});
