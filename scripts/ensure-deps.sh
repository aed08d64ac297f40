#!/usr/bin/env bash
# Makes a fresh checkout runnable: npm packages (when missing or stale) and the Debian packages earshot's offline
# engines and tests use. Usage: scripts/ensure-deps.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-run}"

# onnxruntime-node and electron download binaries in their install scripts; nothing outside npm is reachable
# in our environments, and the CPU runtime ships inside the npm package.
export ONNXRUNTIME_NODE_INSTALL=skip ELECTRON_SKIP_BINARY_DOWNLOAD=1

# By content, not file times: a fresh worktree's lock file is newer than a shared, up-to-date node_modules, and
# reinstalling through a node_modules symlink would empty the tree other checkouts use.
if ! node scripts/lock-in-sync.mjs; then
  echo "earshot: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

# Offline translation: English→Spanish, Catalan, Galician, Esperanto direct; Spanish→French, Portuguese, Italian
# (earshot pivots en→es→fr where no direct pair exists); into English from Macedonian, Icelandic, Serbo-Croatian, Basque.
packages=(pocketsphinx pocketsphinx-en-us apertium apertium-eng-spa apertium-eng-cat apertium-en-gl apertium-eo-en
  apertium-fr-es apertium-es-pt apertium-spa-ita apertium-mkd-eng apertium-isl-eng apertium-hbs-eng apertium-eu-en)
if [ "$purpose" = test ]; then
  packages+=(pocketsphinx-testdata espeak-ng sox redis-server ffmpeg)
  # Browser and desktop tests: Chromium driven by playwright-core, a private X server, keystroke injection.
  packages+=(chromium xvfb xdotool x11-utils fonts-dejavu-core)
  # System-audio capture: a private PulseAudio daemon with null sinks; parec records, paplay plays.
  packages+=(pulseaudio pulseaudio-utils)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "earshot: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "earshot: missing Debian packages: ${missing[*]}" >&2
      echo "  run: sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "earshot: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
