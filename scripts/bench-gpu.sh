#!/usr/bin/env bash
# The benchmarks on a lent GPU machine, on EARSHOT_DEVICE (default cuda:0), with random-weight models generated
# locally by the fixture factory (nothing is downloaded; npm packages must already be installed, with
# onnxruntime-node's CUDA provider library):
#   1. what the CPU runs measure (README "Performance"): whisper-tiny at N = 1, 2, 4 with the baseline beside it,
#      whisper-base at N = 2;
#   2. whisper-large-v3 (STT) with NLLB-200-distilled-600M (MT, every final into Spanish) at N = 8, 32, 128
#      (the baseline only at N = 8: one utterance per call would not finish the larger runs);
#   3. npm run bench:stt (encoder ms per window length, decoder ms per token) on the tiny and base shapes;
#   4. each dtype on the GPU (bench:stt on whisper-base, bench:mt on NLLB-600M: fp32, fp16, q8, q4, q4f16), the
#      measurement behind the CUDA default dtype (fp16), which no CPU run can make.
# Each writes JSON (+ SVG) under bench/results/ named gpu-*; `npm run bench:tables` puts them in README once a
# block names them. bench:load exits 1 when a run measured nothing (no finals, fewer finals than utterances,
# errors); this script runs every step and exits 1 if any did.
#
#   bash scripts/bench-gpu.sh [--duration 20] [extra bench:load flags]
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

duration="20"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

# The models are generated once into .cache/fixtures (large-v3 ≈ 6 GB, NLLB-600M ≈ 3.4 GB of random weights).
node --import tsx -e "
  const { whisperFixture } = await import('./test/fixtures/whisper/write-model.ts');
  const { nllbFixture } = await import('./test/fixtures/models/nllb-fixture.ts');
  for (const shape of ['whisper-tiny', 'whisper-base', 'whisper-large-v3']) console.error(shape + ':', whisperFixture(shape));
  console.error('nllb-600M:', nllbFixture('nllb-600M'));
"

failed=0
load() { node --import tsx bench/load.ts --device "$EARSHOT_DEVICE" --duration "$duration" "$@" "${extra[@]}" || failed=1; }

load --model whisper-tiny --sessions 1,2,4 --baseline --name gpu-load-whisper-tiny
load --model whisper-base --sessions 2 --name gpu-load-whisper-base
load --model whisper-large-v3 --mt nllb-600M --targets es --sessions 8 --baseline --name gpu-load-whisper-large-v3-n8
load --model whisper-large-v3 --mt nllb-600M --targets es --sessions 32,128 --name gpu-load-whisper-large-v3
node --import tsx bench/stt.ts --models whisper-tiny,whisper-base --runs 5 || failed=1
node --import tsx bench/stt.ts --models whisper-base --dtypes fp32,fp16,q8,q4,q4f16 --runs 5 --concurrency 1,16 --device "$EARSHOT_DEVICE" || failed=1
node --import tsx bench/mt.ts --model nllb-600M --dtypes fp32,fp16,q8,q4,q4f16 --engines earshot --batches 1,32 --device "$EARSHOT_DEVICE" || failed=1
exit "$failed"
