/**
 * Process configuration, parsed once from environment and command-line flags into a frozen, typed object.
 * Invalid values stop the process with a message naming the variable. Flags override environment variables.
 */
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** transformers.js's dtype names (gpu-runners/models/dtype.ts maps them to file suffixes). */
const DTYPE = '(?:fp32|fp16|q8|int8|uint8|q4|q4f16|bnb4)';
const dtypeSetting = z
  .string()
  .regex(
    new RegExp(`^(?:auto|${DTYPE}|(?:[\\w.-]+|\\*)=${DTYPE}(?:,(?:[\\w.-]+|\\*)=${DTYPE})*)$`),
    'auto, fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, or per graph like encoder_model=fp32,decoder_model_merged=q4',
  );

/** One row per setting: the source of the configuration table in README.md. */
export const SETTINGS = {
  host: {
    env: 'HOST',
    flag: 'host',
    schema: z.string().min(1),
    default: '127.0.0.1',
    doc: 'Address the edge listens on',
  },
  port: {
    env: 'PORT',
    flag: 'port',
    schema: int(0, 65535),
    default: 8080,
    doc: 'Port the edge listens on (0 picks a free one); runners serve health and metrics on it, by default 8081 (STT) and 8082 (MT)',
  },
  stt: {
    env: 'EARSHOT_STT',
    flag: 'stt',
    schema: z.enum(['auto', 'sphinx', 'whisper-onnx', 'moonshine-onnx']),
    default: 'auto',
    doc: 'Speech-to-text engine; `auto`: `whisper-onnx` when its model is on disk or can be downloaded (the first start downloads it), else `sphinx` (the log says which and why); `moonshine-onnx`: Moonshine, built for live captions (English; compute grows with the audio, no 30 s window)',
  },
  sttModel: {
    env: 'EARSHOT_STT_MODEL',
    flag: 'model',
    schema: z.string().min(1),
    default: 'onnx-community/whisper-small',
    doc: 'Model of `whisper-onnx` / `moonshine-onnx`: a directory or a model name in the transformers.js ONNX layout (`moonshine-onnx` with this default takes onnx-community/moonshine-base-ONNX)',
  },
  device: {
    env: 'EARSHOT_DEVICE',
    flag: 'device',
    schema: z.string().regex(/^(cpu|cuda(:\d{1,3})?)$/, '"cpu" or "cuda:N"'),
    default: 'cpu',
    doc: 'Device of `whisper-onnx`: `cpu` or `cuda:N` (the log names the execution provider)',
  },
  dtype: {
    env: 'EARSHOT_DTYPE',
    flag: 'dtype',
    schema: dtypeSetting,
    default: 'auto',
    doc: "Weight precision of `whisper-onnx` (transformers.js names and file suffixes: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4; per graph: `encoder_model=fp32,decoder_model_merged=q4`); `auto` = the export's `transformers.js_config.dtype`, else q8 on the CPU and fp16 on CUDA, else fp32 when the export has only that",
  },
  sttBeam: {
    env: 'EARSHOT_STT_BEAM',
    flag: 'stt-beam',
    schema: int(1, 16),
    default: 1,
    doc: 'Beam width of `whisper-onnx` (1 = greedy, the fastest)',
  },
  sttTask: {
    env: 'EARSHOT_STT_TASK',
    flag: 'stt-task',
    schema: z.enum(['auto', 'transcribe', 'translate']),
    default: 'auto',
    doc: '`whisper-onnx` task: `translate` writes English whatever the language spoken; `auto` = the task the export pins (generation_config `task` / `forced_decoder_ids`), else `transcribe`',
  },
  language: {
    env: 'EARSHOT_LANGUAGE',
    flag: 'language',
    schema: z.union([z.literal(''), z.string().regex(/^[a-z]{2,3}$/, 'an ISO 639-1 code like en')]),
    default: '',
    doc: "Language of sessions that name none (`whisper-onnx`); empty: the language the export pins (a fine-tune's generation_config), else detected per utterance",
  },
  modelDir: {
    env: 'EARSHOT_MODEL_DIR',
    flag: 'model-dir',
    schema: z.string(),
    default: '',
    doc: 'Where models are kept and downloaded to (`<dir>/<name>`); empty means `~/.cache/earshot/models`',
  },
  modelS3: {
    env: 'EARSHOT_MODEL_S3',
    flag: 'model-s3',
    schema: z.union([z.literal(''), z.string().regex(/^s3:\/\/[^/]+/, 'an s3://bucket/prefix URL')]),
    default: '',
    doc: 'S3 bucket holding models as `<prefix>/<name>/…` (endpoint from `AWS_ENDPOINT_URL_S3`, credentials from the AWS chain)',
  },
  hubProbeMs: {
    env: 'EARSHOT_HUB_PROBE_MS',
    flag: 'hub-probe-ms',
    schema: int(100, 60_000),
    default: 3000,
    doc: 'How long `auto` engines wait for the hub to answer before starting offline (sphinx, apertium)',
  },
  modelHub: {
    env: 'EARSHOT_MODEL_HUB',
    flag: 'model-hub',
    schema: z.union([z.literal(''), z.url()]),
    default: 'https://huggingface.co',
    emptyIsValue: true,
    doc: "Hub models are downloaded from when not found locally; empty (`EARSHOT_MODEL_HUB=`, `--model-hub ''`) = offline: no request leaves the process",
  },
  mt: {
    env: 'EARSHOT_MT',
    flag: 'mt',
    schema: z.enum(['auto', 'apertium', 'nllb-onnx', 'none']),
    default: 'auto',
    doc: 'Translation engine (`none` disables translation); `auto`: `nllb-onnx` when its model is on disk or can be downloaded, else `apertium` (installed pairs, and others through Spanish)',
  },
  mtModel: {
    env: 'EARSHOT_MT_MODEL',
    flag: 'mt-model',
    schema: z.string().min(1),
    default: 'Xenova/nllb-200-distilled-600M',
    doc: 'Model of `nllb-onnx`: a directory or a model name (NLLB-200 or M2M100 in the transformers.js ONNX layout)',
  },
  mtDevice: {
    env: 'EARSHOT_MT_DEVICE',
    flag: 'mt-device',
    schema: z.string().regex(/^(cpu|cuda(:\d{1,3})?)$/, '"cpu" or "cuda:N"'),
    default: 'cpu',
    doc: 'Device of `nllb-onnx`: `cpu` or `cuda:N`',
  },
  mtDtype: {
    env: 'EARSHOT_MT_DTYPE',
    flag: 'mt-dtype',
    schema: dtypeSetting,
    default: 'auto',
    doc: 'Weight precision of `nllb-onnx`, as `--dtype`',
  },
  mtBeams: {
    env: 'EARSHOT_MT_BEAMS',
    flag: 'mt-beams',
    schema: int(1, 16),
    default: 1,
    doc: 'Beam width of `nllb-onnx` (1 = greedy, the fastest)',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    default: 'info',
    doc: 'Log level (logs go to stderr)',
  },
  logFormat: {
    env: 'LOG_FORMAT',
    flag: 'log-format',
    schema: z.enum(['auto', 'json', 'pretty']),
    default: 'auto',
    doc: 'Log lines: `json`, `pretty` (readable, for people), or `auto`: pretty when stderr is a terminal, JSON otherwise',
  },
  maxFrameBytes: {
    env: 'EARSHOT_MAX_FRAME_BYTES',
    flag: 'max-frame-bytes',
    schema: int(320, 64 * 1024 * 1024),
    default: 1024 * 1024,
    doc: 'Largest audio frame accepted; larger frames get a `frame_too_large` error',
  },
  maxSessionSeconds: {
    env: 'EARSHOT_MAX_SESSION_SECONDS',
    flag: 'max-session-seconds',
    schema: int(1, 7 * 24 * 3600),
    default: 4 * 3600,
    doc: 'Longest session (audio seconds); then `session_too_long` and the session ends',
  },
  maxSessions: {
    env: 'EARSHOT_MAX_SESSIONS',
    flag: 'max-sessions',
    schema: int(1, 100000),
    default: 64,
    doc: 'Concurrent sessions per edge; more are refused with `too_many_sessions`',
  },
  vadAggressiveness: {
    env: 'EARSHOT_VAD_AGGRESSIVENESS',
    flag: 'vad-aggressiveness',
    schema: int(0, 3),
    default: 3,
    doc: 'WebRTC VAD mode, 0 (lenient) to 3 (strict)',
  },
  vadSilenceMs: {
    env: 'EARSHOT_VAD_SILENCE_MS',
    flag: 'vad-silence-ms',
    schema: int(90, 10000),
    default: 600,
    doc: 'Silence that closes an utterance',
  },
  vadMaxUtteranceMs: {
    env: 'EARSHOT_VAD_MAX_UTTERANCE_MS',
    flag: 'vad-max-utterance-ms',
    schema: int(2000, 60000),
    default: 15000,
    doc: 'Longest utterance before a forced split at the quietest point',
  },
  vadPreRollMs: {
    env: 'EARSHOT_VAD_PREROLL_MS',
    flag: 'vad-preroll-ms',
    schema: int(0, 2000),
    default: 300,
    doc: 'Audio kept before speech onset',
  },
  partialIntervalMs: {
    env: 'EARSHOT_PARTIAL_INTERVAL_MS',
    flag: 'partial-interval-ms',
    schema: int(0, 60000),
    default: 700,
    doc: 'Shortest time between partial snapshots of an open utterance (0 = no partials)',
  },
  sttBatchSize: {
    env: 'EARSHOT_STT_BATCH',
    flag: 'stt-batch',
    schema: int(1, 256),
    default: 8,
    doc: 'Most STT jobs a runner takes at once',
  },
  sttLane: {
    env: 'EARSHOT_STT_LANE',
    flag: 'stt-lane',
    schema: z.enum(['auto', 'streaming', 'stateless']),
    default: 'stateless',
    doc: "How live sessions reach STT runners: `stateless` (every partial and final is a job any runner takes; a partial re-decodes its utterance so far); `streaming` (a session is bound to one runner holding its decoder state: a partial costs only its new audio; engines that cannot stream, glossary sessions and the batch API stay stateless); `auto` streams when the runners' engine can (sphinx). Set on edges and runners alike (docs/architecture.md: the streaming lane)",
  },
  sttMaxStreams: {
    env: 'EARSHOT_STT_MAX_STREAMS',
    flag: 'stt-max-streams',
    schema: int(1, 1024),
    default: 16,
    doc: "Streaming lane: utterance states (one decoder each; sphinx about 40 MB) an STT runner holds at once; beyond it, edges bind new sessions to other runners and its own sessions' finals are decoded from their start",
  },
  sttMaxAttempts: {
    env: 'EARSHOT_STT_ATTEMPTS',
    flag: 'stt-attempts',
    schema: int(1, 10),
    default: 3,
    doc: 'Attempts per job before its segment is reported as failed',
  },
  sttWindow: {
    env: 'EARSHOT_STT_WINDOW',
    flag: 'stt-window',
    schema: z.enum(['fit', 'full', 'auto']),
    default: 'auto',
    doc: "`whisper-onnx`'s encoder window: `fit` encodes each utterance padded to whole seconds (plus a margin, at least a floor) instead of 30 s; `full` encodes finals in 30 s windows; `auto` decodes finals fitted, then re-decodes them in a full window as a second pass (protocol v1.1 `rev` 2) when the runner has time: a second pass gives way to finals and partials that arrive meanwhile (its first pass then stands). Partials are always fitted",
  },
  sttFitFloorMs: {
    env: 'EARSHOT_STT_FIT_FLOOR_MS',
    flag: 'stt-fit-floor-ms',
    schema: int(0, 30_000),
    default: 10_000,
    doc: 'Shortest fitted window of a final (README: encoder windows)',
  },
  sttFitPartialFloorMs: {
    env: 'EARSHOT_STT_FIT_PARTIAL_FLOOR_MS',
    flag: 'stt-fit-partial-floor-ms',
    schema: int(0, 30_000),
    default: 0,
    doc: 'Shortest fitted window of a partial',
  },
  sttFitMarginMs: {
    env: 'EARSHOT_STT_FIT_MARGIN_MS',
    flag: 'stt-fit-margin-ms',
    schema: int(0, 30_000),
    default: 2000,
    doc: 'Silence a fitted window keeps after the utterance',
  },
  sttThreads: {
    env: 'EARSHOT_STT_THREADS',
    flag: 'stt-threads',
    schema: int(0, 1024),
    default: 0,
    doc: "Threads of one `whisper-onnx` operator (onnxruntime's intra-op pool); 0 = `os.availableParallelism()`. Independent operators run one at a time (inter-op 1): Whisper's graphs are a chain",
  },
  sttTwoPass: {
    env: 'EARSHOT_STT_TWO_PASS',
    flag: 'stt-two-pass',
    schema: z.enum(['off', 'behind', 'always']),
    default: 'behind',
    doc: 'Second pass over finals: `always` publishes a fast first pass, then a full-effort correction (protocol v1.1 `rev` 2) when the text changes; `behind` only for finals decoded fast to catch up',
  },
  sttRefineMaxAgeMs: {
    env: 'EARSHOT_STT_REFINE_MAX_AGE_MS',
    flag: 'stt-refine-max-age-ms',
    schema: int(0, 3_600_000),
    default: 30_000,
    doc: 'A second pass still queued after this long is skipped and its first pass stands (an overloaded deployment does not build a backlog of corrections)',
  },
  sttMaxWaitMs: {
    env: 'EARSHOT_STT_MAX_WAIT_MS',
    flag: 'stt-max-wait-ms',
    schema: int(0, 10_000),
    default: 0,
    doc: 'After the first STT job arrives, how long a runner waits for more to batch together (0 = take what is queued)',
  },
  budgetVadMs: {
    env: 'EARSHOT_BUDGET_VAD_MS',
    flag: 'budget-vad-ms',
    schema: int(1, 600_000),
    default: 1000,
    doc: 'Latency budget of the VAD stage (utterance end heard → its job queued; includes the silence wait)',
  },
  budgetQueueMs: {
    env: 'EARSHOT_BUDGET_QUEUE_MS',
    flag: 'budget-queue-ms',
    schema: int(1, 600_000),
    default: 2000,
    doc: 'Latency budget of the STT queue wait: a session whose finals wait longer is behind and catches up, and a runner decodes such finals at `fast` effort',
  },
  budgetSttMs: {
    env: 'EARSHOT_BUDGET_STT_MS',
    flag: 'budget-stt-ms',
    schema: int(1, 600_000),
    default: 2000,
    doc: 'Latency budget of the STT engine per final',
  },
  budgetMtMs: {
    env: 'EARSHOT_BUDGET_MT_MS',
    flag: 'budget-mt-ms',
    schema: int(1, 600_000),
    default: 2000,
    doc: 'Latency budget of translation (final at the edge → its translation at the edge)',
  },
  budgetRelayMs: {
    env: 'EARSHOT_BUDGET_RELAY_MS',
    flag: 'budget-relay-ms',
    schema: int(1, 600_000),
    default: 250,
    doc: 'Latency budget of the relay (result at the edge → sent to the client, in order)',
  },
  catchUp: {
    env: 'EARSHOT_CATCH_UP',
    flag: 'catch-up',
    schema: z.enum(['on', 'off']),
    default: 'on',
    doc: 'Sessions that fall behind catch up: no partials, longer utterances, `fast` decoding of late finals (`earshot_catchup_total`)',
  },
  catchUpSilenceMs: {
    env: 'EARSHOT_CATCH_UP_SILENCE_MS',
    flag: 'catch-up-silence-ms',
    schema: int(90, 10000),
    default: 1500,
    doc: 'Silence that closes an utterance while its session catches up (fewer, longer utterances)',
  },
  hallucinationGuard: {
    env: 'EARSHOT_HALLUCINATION_GUARD',
    flag: 'hallucination-guard',
    schema: z.enum(['on', 'off']),
    default: 'on',
    doc: 'Withhold STT text that is likely invented (silence, music, loops, subtitle credits); each is counted in `earshot_stt_suppressed_total{reason}`',
  },
  blocklistFile: {
    env: 'EARSHOT_BLOCKLIST_FILE',
    flag: 'blocklist-file',
    schema: z.string(),
    default: '',
    doc: 'JSON `{"en": ["thanks for watching", …], …}`: phrases withheld when they make up most of an output, per language (`"*"`: all); replaces the built-in list of each language it names',
  },
  noSpeechThreshold: {
    env: 'EARSHOT_NO_SPEECH_THRESHOLD',
    flag: 'no-speech-threshold',
    schema: z.coerce.number().min(0).max(1),
    default: 0.6,
    doc: 'No-speech probability above which an unlikely output is silence (engines that know it, e.g. `whisper-onnx`); 1 = off',
  },
  maxCompressionRatio: {
    env: 'EARSHOT_MAX_COMPRESSION_RATIO',
    flag: 'max-compression-ratio',
    schema: z.coerce.number().min(0).max(100),
    default: 2.4,
    doc: 'Gzip compression ratio above which text is a decoding loop: `whisper-onnx` retries hotter, then it is withheld; 0 = off',
  },
  maxRepeats: {
    env: 'EARSHOT_MAX_REPEATS',
    flag: 'max-repeats',
    schema: int(0, 1000),
    default: 3,
    doc: 'Most times a phrase may occur in a row when the run is most of the output; 0 = off',
  },
  minSpeechMs: {
    env: 'EARSHOT_MIN_SPEECH_MS',
    flag: 'min-speech-ms',
    schema: int(0, 60_000),
    default: 250,
    doc: 'Voiced audio (WebRTC VAD) a job needs for its text to be shown; 0 = off',
  },
  minWordsPerSecond: {
    env: 'EARSHOT_MIN_WORDS_PER_SECOND',
    flag: 'min-words-per-second',
    schema: z.coerce.number().min(0).max(20),
    default: 1,
    doc: 'Fewer words per voiced second (over 1 s of it) is an engine guessing at music or noise: withheld; 0 = off',
  },
  redis: {
    env: 'REDIS_URL',
    flag: 'redis',
    schema: z.union([z.literal(''), z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')]),
    default: '',
    doc: 'Redis URL; empty runs the in-process queue (embedded default)',
  },
  redisPrefix: {
    env: 'EARSHOT_REDIS_PREFIX',
    flag: 'redis-prefix',
    schema: z.string().regex(/^[\w.-]+$/),
    default: 'earshot',
    doc: 'Prefix of every Redis key (separates deployments)',
  },
  jobLockMs: {
    env: 'EARSHOT_JOB_LOCK_MS',
    flag: 'job-lock-ms',
    schema: int(500, 600_000),
    default: 30_000,
    doc: "How long a runner's job lock lasts without renewal: the redelivery delay when a runner dies",
  },
  sessionRetentionSeconds: {
    env: 'EARSHOT_SESSION_RETENTION_SECONDS',
    flag: 'session-retention-seconds',
    schema: int(10, 30 * 24 * 3600),
    default: 600,
    doc: 'How long a session can be resumed (and its results read) after its last activity',
  },
  maxQueueDepth: {
    env: 'EARSHOT_MAX_QUEUE_DEPTH',
    flag: 'max-queue-depth',
    schema: int(1, 1_000_000),
    default: 200,
    doc: 'STT backlog bound: past half of it partials are skipped; past it new sessions are refused (503)',
  },
  drainMs: {
    env: 'EARSHOT_DRAIN_MS',
    flag: 'drain-ms',
    schema: int(0, 3_600_000),
    default: 30_000,
    doc: 'On SIGTERM, how long an edge lets open sessions finish',
  },
  faultSttFail: {
    env: 'EARSHOT_FAULT_STT_FAIL',
    flag: 'fault-stt-fail',
    schema: z.string(),
    default: '',
    doc: 'Fault injection for tests and drills: STT jobs whose id matches this regex fail',
  },
  startTimeoutMs: {
    env: 'EARSHOT_START_TIMEOUT_MS',
    flag: 'start-timeout-ms',
    schema: int(100, 600_000),
    default: 10_000,
    doc: 'A connection that sends no `start` this long is closed (`start_timeout`)',
  },
  idleTimeoutMs: {
    env: 'EARSHOT_IDLE_TIMEOUT_MS',
    flag: 'idle-timeout-ms',
    schema: int(100, 3_600_000),
    default: 60_000,
    doc: 'A session that sends no audio this long is closed (`idle_timeout`; it can be resumed)',
  },
  maxAudioRate: {
    env: 'EARSHOT_MAX_AUDIO_RATE',
    flag: 'max-audio-rate',
    schema: z.coerce.number().min(1).max(1000),
    default: 10,
    doc: 'Sustained audio rate per session, in multiples of real time (`rate_limited` beyond it)',
  },
  audioBurstSeconds: {
    env: 'EARSHOT_AUDIO_BURST_SECONDS',
    flag: 'audio-burst-seconds',
    schema: int(1, 86_400),
    default: 120,
    doc: 'Audio seconds a session may send ahead of that rate',
  },
  maxFramesPerSecond: {
    env: 'EARSHOT_MAX_FRAMES_PER_SECOND',
    flag: 'max-frames-per-second',
    schema: int(1, 100_000),
    default: 500,
    doc: 'Sustained audio frames per second per session (twice that as a burst)',
  },
  maxSendBufferBytes: {
    env: 'EARSHOT_MAX_SEND_BUFFER_BYTES',
    flag: 'max-send-buffer-bytes',
    schema: int(1024, 1 << 30),
    default: 4 * 1024 * 1024,
    doc: 'Bytes queued to a client that does not read before it is disconnected (`slow_consumer`)',
  },
  maxHeaderBytes: {
    env: 'EARSHOT_MAX_HEADER_BYTES',
    flag: 'max-header-bytes',
    schema: int(1024, 1 << 20),
    default: 16 * 1024,
    doc: 'Largest HTTP request header block (431 beyond it)',
  },
  tts: {
    env: 'EARSHOT_TTS',
    flag: 'tts',
    schema: z.enum(['auto', 'espeak', 'vits-onnx', 'none']),
    default: 'auto',
    doc: 'Voice for spoken translations (`start.speak`, `translation_audio`): `espeak` (espeak-ng), `vits-onnx` (an MMS-TTS / VITS ONNX export, `EARSHOT_TTS_MODEL`), `auto` (espeak-ng when installed) or `none`',
  },
  ttsModel: {
    env: 'EARSHOT_TTS_MODEL',
    flag: 'tts-model',
    schema: z.string(),
    default: '',
    doc: 'With `EARSHOT_TTS=vits-onnx`: the directory of an MMS-TTS / VITS export as transformers.js reads it (config.json, tokenizer.json, onnx/model.onnx)',
  },
  ttsLanguage: {
    env: 'EARSHOT_TTS_LANGUAGE',
    flag: 'tts-language',
    schema: z.string(),
    default: '',
    doc: 'With `EARSHOT_TTS=vits-onnx`: the language its voice speaks (ISO 639-1, e.g. `es` for mms-tts-spa)',
  },
  ttsMaxQueue: {
    env: 'EARSHOT_TTS_MAX_QUEUE',
    flag: 'tts-max-queue',
    schema: int(1, 100_000),
    default: 64,
    doc: 'TTS jobs waiting past which translations are not spoken (`tts_failed`), so audio never falls minutes behind',
  },
  diarization: {
    env: 'EARSHOT_DIARIZATION',
    flag: 'diarization',
    schema: z.enum(['mfcc', 'wavlm-onnx', 'off']),
    default: 'mfcc',
    doc: 'Speaker voiceprints on STT runners, from which finals get a `speaker` label (protocol v1.2) and exports name speakers: `mfcc` (embedded, MFCC statistics on a worker thread), `wavlm-onnx` (an x-vector ONNX export, `EARSHOT_DIARIZATION_MODEL`) or `off`',
  },
  diarizationModel: {
    env: 'EARSHOT_DIARIZATION_MODEL',
    flag: 'diarization-model',
    schema: z.string(),
    default: '',
    doc: 'With `EARSHOT_DIARIZATION=wavlm-onnx`: the directory of a WavLM / wav2vec2 x-vector export as transformers.js reads it (preprocessor_config.json, onnx/model.onnx)',
  },
  speakerThreshold: {
    env: 'EARSHOT_SPEAKER_THRESHOLD',
    flag: 'speaker-threshold',
    schema: z.coerce.number().min(0).max(2),
    default: 0,
    doc: "Cosine distance under which two voiceprints are one speaker; 0: the embedder's own (0.1 for `mfcc`, 0.14 for `wavlm-onnx`)",
  },
  translatePartials: {
    env: 'EARSHOT_TRANSLATE_PARTIALS',
    flag: 'translate-partials',
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    default: 'false',
    doc: 'Also translate partial captions (`partial_translation` events); they never delay finals',
  },
  sphinxDecoders: {
    env: 'EARSHOT_SPHINX_DECODERS',
    flag: 'sphinx-decoders',
    schema: int(1, 64),
    default: 2,
    doc: 'Parallel pocketsphinx decoders per runner',
  },
  sphinxGlossaryDecoders: {
    env: 'EARSHOT_SPHINX_GLOSSARY_DECODERS',
    flag: 'sphinx-glossary-decoders',
    schema: int(1, 64),
    default: 4,
    doc: 'Extra pocketsphinx decoders per runner kept for glossaries (one per distinct glossary, least recently used replaced)',
  },
  glossaryMaxTerms: {
    env: 'EARSHOT_GLOSSARY_MAX_TERMS',
    flag: 'glossary-max-terms',
    schema: int(0, 1000),
    default: 100,
    doc: "Most terms in a session's glossary (its own plus its API key's); more get `glossary_too_large`",
  },
  glossaryMaxBytes: {
    env: 'EARSHOT_GLOSSARY_MAX_BYTES',
    flag: 'glossary-max-bytes',
    schema: int(0, 1 << 20),
    default: 8192,
    doc: 'Largest glossary as JSON (every STT job carries it); larger gets `glossary_too_large`',
  },
  originSecret: {
    env: 'EARSHOT_ORIGIN_SECRET',
    flag: 'origin-secret',
    schema: z.union([z.literal(''), z.string().min(32, 'at least 32 characters')]),
    default: '',
    secret: true,
    doc: 'Shared secret of the origin role (`WS /v1/origin/:session`), through which Workers session relays reach this edge; empty refuses them',
  },
  otel: {
    env: 'EARSHOT_OTEL',
    flag: 'otel',
    schema: z.enum(['off', 'console', 'otlp']),
    default: 'off',
    doc: 'OpenTelemetry traces: `console` (spans printed on stdout) or `otlp` (OTLP/HTTP JSON to `OTEL_EXPORTER_OTLP_ENDPOINT`, default `http://localhost:4318`)',
  },
  auth: {
    env: 'EARSHOT_AUTH',
    flag: 'auth',
    schema: z.enum(['auto', 'on', 'off']),
    default: 'auto',
    doc: 'API key and token auth; `auto` is on whenever `HOST` is not a loopback address',
  },
  apiKeysFile: {
    env: 'EARSHOT_API_KEYS_FILE',
    flag: 'api-keys-file',
    schema: z.string(),
    default: '',
    doc: 'File of hashed API keys (`earshot key` makes them): a JSON array, or one JSON object per line',
  },
  apiKeys: {
    env: 'EARSHOT_API_KEYS',
    flag: 'api-keys',
    schema: z.string(),
    default: '',
    secret: true,
    doc: 'Hashed API keys as a JSON array, in addition to the file',
  },
  jwtSecret: {
    env: 'EARSHOT_JWT_SECRET',
    flag: 'jwt-secret',
    schema: z.union([z.literal(''), z.string().min(32, 'at least 32 characters')]),
    default: '',
    secret: true,
    doc: 'HS256 secret for signed tokens, shared by every edge of a deployment; empty: a random one per process',
  },
  tokenMaxTtlSeconds: {
    env: 'EARSHOT_TOKEN_MAX_TTL_SECONDS',
    flag: 'token-max-ttl-seconds',
    schema: int(10, 7 * 24 * 3600),
    default: 3600,
    doc: 'Longest lifetime of a token from `POST /v1/tokens`',
  },
  keyMaxSessions: {
    env: 'EARSHOT_KEY_MAX_SESSIONS',
    flag: 'key-max-sessions',
    schema: int(1, 100000),
    default: 8,
    doc: 'Concurrent realtime sessions per API key, for keys that set no `max_sessions`',
  },
  keyMaxViewers: {
    env: 'EARSHOT_KEY_MAX_VIEWERS',
    flag: 'key-max-viewers',
    schema: int(1, 1_000_000),
    default: 200,
    doc: 'Viewers (`/v1/watch`) connected at once per API key, for keys that set no `max_viewers`; more get `viewer_limit` (close 4429)',
  },
  maxViewers: {
    env: 'EARSHOT_MAX_VIEWERS',
    flag: 'max-viewers',
    schema: int(1, 1_000_000),
    default: 2000,
    doc: 'Viewers connected at once per edge; more get `too_many_viewers` (close 1013)',
  },
  viewerIdleMs: {
    env: 'EARSHOT_VIEWER_IDLE_MS',
    flag: 'viewer-idle-ms',
    schema: int(1000, 24 * 3_600_000),
    default: 900_000,
    doc: 'A viewer that has received nothing this long (its session went quiet and never stopped) is closed with `idle_timeout` (close 4410)',
  },
  allowedOrigins: {
    env: 'EARSHOT_ALLOWED_ORIGINS',
    flag: 'allowed-origins',
    schema: z
      .string()
      .regex(
        /^(\*|(https?:\/\/[^\s,/]+)(,\s*https?:\/\/[^\s,/]+)*)?$/,
        'comma-separated origins such as https://captions.example.com, or *',
      ),
    default: '',
    doc: "Browser origins besides the edge's own whose pages may open WebSockets and send requests to it (and frame its pages), comma-separated; `*` allows any. Requests without `Origin` (non-browser clients) are always allowed",
  },
  keyRpm: {
    env: 'EARSHOT_KEY_RPM',
    flag: 'key-rpm',
    schema: int(1, 1_000_000),
    default: 120,
    doc: 'Requests per minute per API key, for keys that set no `requests_per_minute`',
  },
  maxUploadBytes: {
    env: 'EARSHOT_MAX_UPLOAD_BYTES',
    flag: 'max-upload-bytes',
    schema: int(1024, 2 * 1024 ** 3),
    default: 25 * 1024 * 1024,
    doc: 'Largest request body of the batch API (`file_too_large` beyond)',
  },
  maxJsonBytes: {
    env: 'EARSHOT_MAX_JSON_BYTES',
    flag: 'max-json-bytes',
    schema: int(256, 16 * 1024 * 1024),
    default: 64 * 1024,
    doc: 'Largest request body outside the batch uploads (`POST /v1/tokens`, `/v1/tokens/revoke`): `body_too_large` (413) beyond',
  },
  maxAudioSeconds: {
    env: 'EARSHOT_MAX_AUDIO_SECONDS',
    flag: 'max-audio-seconds',
    schema: int(1, 7 * 24 * 3600),
    default: 2 * 3600,
    doc: 'Longest audio the batch API decodes (`audio_too_long` beyond, before more is decoded): what a 25 MB upload holds at speech bitrates, 230 MB of 16 kHz PCM at most',
  },
  decodeTimeoutSeconds: {
    env: 'EARSHOT_DECODE_TIMEOUT_SECONDS',
    flag: 'decode-timeout-seconds',
    schema: int(1, 3600),
    default: 300,
    doc: 'Longest an upload may take to decode (ffmpeg is stopped): `decode_timeout` beyond',
  },
  ffmpeg: {
    env: 'EARSHOT_FFMPEG',
    flag: 'ffmpeg',
    schema: z.string().min(1),
    default: 'ffmpeg',
    doc: 'ffmpeg binary that decodes mp3, ogg, opus, webm, m4a and flac uploads (WAV needs none)',
  },
  blobDir: {
    env: 'EARSHOT_BLOB_DIR',
    flag: 'blob-dir',
    schema: z.string().min(1),
    default: '.earshot/blobs',
    doc: 'Directory of uploaded audio and batch results when no S3 bucket is set',
  },
  s3Bucket: {
    env: 'EARSHOT_S3_BUCKET',
    flag: 's3-bucket',
    schema: z.string(),
    default: '',
    doc: 'S3 bucket for uploaded audio and batch results instead of the directory (credentials from the AWS chain)',
  },
  s3Endpoint: {
    env: 'EARSHOT_S3_ENDPOINT',
    flag: 's3-endpoint',
    schema: z.union([z.literal(''), z.url()]),
    default: '',
    doc: 'S3 endpoint URL for S3-compatible stores (MinIO, R2); empty is AWS',
  },
  s3Region: {
    env: 'EARSHOT_S3_REGION',
    flag: 's3-region',
    schema: z.string().min(1),
    default: 'us-east-1',
    doc: 'S3 region',
  },
  s3ForcePathStyle: {
    env: 'EARSHOT_S3_FORCE_PATH_STYLE',
    flag: 's3-force-path-style',
    schema: z.enum(['true', 'false']).transform((v) => v === 'true'),
    default: 'false',
    doc: 'Path-style S3 URLs (`endpoint/bucket/key`), which most S3-compatible stores need',
  },
  batchConcurrency: {
    env: 'EARSHOT_BATCH_CONCURRENCY',
    flag: 'batch-concurrency',
    schema: int(1, 256),
    default: 2,
    doc: 'Async batch jobs (`?async=true`) an edge works on at once',
  },
  batchRetentionSeconds: {
    env: 'EARSHOT_BATCH_RETENTION_SECONDS',
    flag: 'batch-retention-seconds',
    schema: int(60, 365 * 24 * 3600),
    default: 24 * 3600,
    doc: 'How long an async job and its result can be read after it finishes',
  },
  wake: {
    env: 'EARSHOT_WAKE',
    flag: 'wake',
    schema: z.enum(['sphinx', 'onnx', 'off']),
    default: 'sphinx',
    doc: 'Wake-word engine of sessions that send `start.wake_word` (docs/wake-word.md): `sphinx` (pocketsphinx keyphrase spotting), `onnx` (openWakeWord-style models in `EARSHOT_WAKE_MODEL`), `off` refuses them',
  },
  wakeModel: {
    env: 'EARSHOT_WAKE_MODEL',
    flag: 'wake-model',
    schema: z.string(),
    default: '',
    doc: 'Directory of the `onnx` wake-word engine: `melspectrogram.onnx`, `embedding_model.onnx` and one classifier `<phrase>.onnx` per phrase (spaces as `_`)',
  },
  wakeMaxDetectors: {
    env: 'EARSHOT_WAKE_MAX_DETECTORS',
    flag: 'wake-max-detectors',
    schema: int(0, 10_000),
    default: 16,
    doc: 'Sessions per edge waiting for a wake word at once (each holds a decoder); more are refused with `overloaded`',
  },
  llmUrl: {
    env: 'EARSHOT_LLM_URL',
    flag: 'llm-url',
    schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
    default: '',
    doc: 'Base URL of an OpenAI-compatible chat-completions API for LLM hooks (Ollama `http://localhost:11434/v1`, vLLM, OpenAI `https://api.openai.com/v1`); empty disables post-edit, summaries and commands',
  },
  llmModel: {
    env: 'EARSHOT_LLM_MODEL',
    flag: 'llm-model',
    schema: z.string().min(1).max(200),
    default: 'llama3.2',
    doc: 'Model name sent to the LLM endpoint',
  },
  llmApiKey: {
    env: 'EARSHOT_LLM_API_KEY',
    flag: 'llm-api-key',
    schema: z.string(),
    default: '',
    secret: true,
    doc: 'Bearer key of the LLM endpoint (never logged)',
  },
  llmTimeoutMs: {
    env: 'EARSHOT_LLM_TIMEOUT_MS',
    flag: 'llm-timeout-ms',
    schema: int(100, 600_000),
    default: 20_000,
    doc: 'Longest an LLM request may take; then it is abandoned and its output skipped',
  },
  llmConcurrency: {
    env: 'EARSHOT_LLM_CONCURRENCY',
    flag: 'llm-concurrency',
    schema: int(1, 256),
    default: 4,
    doc: 'LLM requests in flight per edge',
  },
  llmMaxQueue: {
    env: 'EARSHOT_LLM_MAX_QUEUE',
    flag: 'llm-max-queue',
    schema: int(1, 100_000),
    default: 200,
    doc: 'LLM requests waiting per edge; beyond it the oldest post-edits are dropped (counted in `earshot_hook_dropped_total`)',
  },
  llmMaxChars: {
    env: 'EARSHOT_LLM_MAX_CHARS',
    flag: 'llm-max-chars',
    schema: int(100, 1_000_000),
    default: 16_000,
    doc: 'Most characters of transcript sent in one LLM request (a summary of a longer session reads its last part)',
  },
  webhookTimeoutMs: {
    env: 'EARSHOT_WEBHOOK_TIMEOUT_MS',
    flag: 'webhook-timeout-ms',
    schema: int(100, 120_000),
    default: 5000,
    doc: 'Longest one webhook delivery attempt may take',
  },
  webhookAttempts: {
    env: 'EARSHOT_WEBHOOK_ATTEMPTS',
    flag: 'webhook-attempts',
    schema: int(1, 20),
    default: 6,
    doc: 'Attempts per webhook event (exponential backoff from 500 ms, with jitter) before it is dropped and logged',
  },
  webhookConcurrency: {
    env: 'EARSHOT_WEBHOOK_CONCURRENCY',
    flag: 'webhook-concurrency',
    schema: int(1, 256),
    default: 8,
    doc: 'Webhook deliveries in flight per edge',
  },
  webhookMaxQueue: {
    env: 'EARSHOT_WEBHOOK_MAX_QUEUE',
    flag: 'webhook-max-queue',
    schema: int(1, 1_000_000),
    default: 2000,
    doc: 'Webhook events waiting per edge; beyond it new ones are dropped (counted in `earshot_hook_dropped_total`)',
  },
  webhookAllowPrivate: {
    env: 'EARSHOT_WEBHOOK_ALLOW_PRIVATE',
    flag: 'webhook-allow-private',
    schema: z.enum(['true', 'false']).transform((v) => v === 'true'),
    default: 'false',
    doc: 'Let webhooks reach loopback, private, link-local and other non-public addresses (refused by default against SSRF; docs/llm-hooks.md)',
  },
} as const;

type Settings = typeof SETTINGS;
export type Config = Readonly<{ [K in keyof Settings]: z.infer<Settings[K]['schema']> }>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses flags (`--port 9000` or `--port=9000`) and environment into a frozen Config. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  flags: Record<string, string | undefined> = {},
): Config {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = flags[setting.flag] ?? env[setting.env];
    // An empty value means "the default", except where empty is itself a choice (an empty hub is offline).
    const useDefault = raw === undefined || (raw === '' && !('emptyIsValue' in setting));
    const parsed = (setting.schema as z.ZodType).safeParse(useDefault ? setting.default : raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]?.message ?? 'invalid';
      throw new ConfigError(`invalid ${setting.env} / --${setting.flag}=${JSON.stringify(raw)}: ${issue}`);
    }
    out[key] = parsed.data;
  }
  return Object.freeze(out) as Config;
}

/** The configuration as it is logged at start: secrets and Redis credentials masked. */
export function maskedConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config, redis: config.redis.replace(/\/\/[^@/]*@/, '//***@') };
  for (const [key, setting] of Object.entries(SETTINGS)) if ('secret' in setting && out[key]) out[key] = '***';
  return out;
}

/** The settings that differ from their defaults (masked), for a short configuration line a person reads. */
export function changedSettings(config: Config): Record<string, unknown> {
  const masked = maskedConfig(config);
  const defaults = loadConfig({});
  return Object.fromEntries(
    Object.entries(masked).filter(([key, v]) => v !== (defaults as Record<string, unknown>)[key]),
  );
}

/** Flags this module knows, for parseArgs. */
export const CONFIG_FLAGS: Record<string, { type: 'string' }> = Object.fromEntries(
  Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
);
