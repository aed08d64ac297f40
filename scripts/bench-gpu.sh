#!/usr/bin/env bash
# The load benchmark on a lent GPU machine: whisper-large-v3 (STT) and NLLB-200-distilled-600M (MT) shaped
# random-weight models, generated locally by the fixture factory (nothing is downloaded; npm packages must already
# be installed, with onnxruntime-node's CUDA provider library), on EARSHOT_DEVICE (default cuda:0). Prints the same
# table as `npm run bench:load` and writes JSON + SVG under bench/results/.
#
#   bash scripts/bench-gpu.sh [--sessions 1,4,16] [--duration 20] [extra bench:load flags]
set -euo pipefail
cd "$(dirname "$0")/.."

export EARSHOT_DEVICE="${EARSHOT_DEVICE:-cuda:0}"
export EARSHOT_MODEL_HUB=""          # never reach a hub
export HF_HUB_OFFLINE=1

if [ ! -d node_modules/onnxruntime-node ]; then
  echo "bench-gpu: node_modules is missing; this script installs nothing from the internet" >&2
  exit 1
fi
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
else
  echo "bench-gpu: nvidia-smi not found; onnxruntime will report whether ${EARSHOT_DEVICE} can be used" >&2
fi

sessions="1,4,16"
duration="20"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sessions) sessions="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

# The models are generated once into .cache/fixtures (large-v3 ≈ 6 GB, NLLB-600M ≈ 3.4 GB of random weights).
node --import tsx -e "
  const { whisperFixture } = await import('./test/fixtures/whisper/write-model.ts');
  const { nllbFixture } = await import('./test/fixtures/models/nllb-fixture.ts');
  console.error('whisper-large-v3:', whisperFixture('whisper-large-v3'));
  console.error('nllb-600M:', nllbFixture('nllb-600M'));
"

# whisper-large-v3 STT on the GPU, NLLB-600M translating every final into Spanish on the same GPU.
exec node --import tsx bench/load.ts --model whisper-large-v3 --mt nllb-600M --targets es \
  --device "$EARSHOT_DEVICE" --sessions "$sessions" --duration "$duration" --baseline "${extra[@]}"
