/** Prometheus metrics (prom-client), one registry per process, served at /metrics by every service. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  activeConnections: new Gauge({
    name: 'gateway_active_connections',
    help: 'Open realtime WebSocket sessions on this edge',
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'earshot_queue_depth',
    help: 'Jobs waiting in a queue',
    labelNames: ['queue'],
    registers: [registry],
  }),
  deadLetters: new Gauge({
    name: 'earshot_dead_letters',
    help: 'Jobs that failed every attempt',
    labelNames: ['queue'],
    registers: [registry],
  }),
  streamLength: new Gauge({
    name: 'redis_stream_length',
    help: "Entries in the result streams of this edge's open sessions",
    registers: [registry],
  }),
  sttDuration: new Histogram({
    name: 'stt_processing_duration_seconds',
    help: 'Engine time per STT batch',
    labelNames: ['kind'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  }),
  translationBatchSize: new Histogram({
    name: 'translation_batch_size',
    help: 'Sentences per MT engine call',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  }),
  finalLatency: new Histogram({
    name: 'earshot_end_of_speech_to_final_seconds',
    help: 'From the end of an utterance (VAD close) to its final reaching the client',
    buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
    registers: [registry],
  }),
  sttRevisions: new Counter({
    name: 'earshot_stt_revisions_total',
    help: 'Second passes over finals first decoded fast or in a fitted encoder window, by whether they changed the text (or were skipped as stale)',
    labelNames: ['changed'],
    registers: [registry],
  }),
  stageSeconds: new Histogram({
    name: 'earshot_stage_seconds',
    help: 'Per-stage latency of finals: vad (utterance end heard → job queued), queue, stt (engine), mt (final → translation at the edge), relay (result at the edge → sent)',
    labelNames: ['stage'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  }),
  catchUp: new Counter({
    name: 'earshot_catchup_total',
    help: 'Catch-up actions of sessions that fell behind: drop_partial, merge_utterances, fast_effort',
    labelNames: ['action'],
    registers: [registry],
  }),
  sttSuppressed: new Counter({
    name: 'earshot_stt_suppressed_total',
    help: 'STT outputs withheld as likely invented, by reason (no_speech, low_speech, sparse, blocklist, repetition, compression) and job kind',
    labelNames: ['reason', 'kind'],
    registers: [registry],
  }),
  sttStreams: new Gauge({
    name: 'earshot_stt_streams',
    help: 'Streaming lane: utterance states each STT runner holds (held) and the most it takes (max), from heartbeats',
    labelNames: ['runner', 'measure'],
    registers: [registry],
  }),
  sttStreamJobs: new Counter({
    name: 'earshot_stt_stream_jobs_total',
    help: 'Streaming lane jobs by how the runner served them: fed (partial from its state), finished (final from its state), rebuilt (final decoded from the utterance start), skipped (partial without a state)',
    labelNames: ['outcome'],
    registers: [registry],
  }),
  sttLaneSessions: new Counter({
    name: 'earshot_stt_lane_bindings_total',
    help: 'Streaming lane: sessions bound to a runner (bound) or moved to another one (rebound: gone, draining or full)',
    labelNames: ['event'],
    registers: [registry],
  }),
  partialsShed: new Counter({
    name: 'earshot_partials_shed_total',
    help: 'Partial snapshots skipped because the STT queue was too deep',
    registers: [registry],
  }),
  clientsCutOff: new Counter({
    name: 'earshot_clients_cut_off_total',
    help: 'Realtime connections closed for breaking a limit (close 1008)',
    labelNames: ['reason'],
    registers: [registry],
  }),
  ttsDuration: new Histogram({
    name: 'earshot_tts_duration_seconds',
    help: 'Engine time per TTS batch (spoken translations)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  }),
  ttsBatchSize: new Histogram({
    name: 'earshot_tts_batch_size',
    help: 'Translations per TTS engine call',
    buckets: [1, 2, 4, 8, 16],
    registers: [registry],
  }),
  ttsAudioSeconds: new Counter({
    name: 'earshot_tts_audio_seconds_total',
    help: 'Seconds of spoken translation produced',
    registers: [registry],
  }),
  ttsSkipped: new Counter({
    name: 'earshot_tts_skipped_total',
    help: 'Translations not spoken because the TTS queue was past EARSHOT_TTS_MAX_QUEUE',
    registers: [registry],
  }),
  hooks: new Counter({
    name: 'earshot_hooks_total',
    help: 'LLM hook calls (post_edit, command, summary) and webhook deliveries (webhook), by outcome (ok/delivered, failed, dropped for room, discarded answer)',
    labelNames: ['hook', 'outcome'],
    registers: [registry],
  }),
  sessionsRefused: new Counter({
    name: 'earshot_sessions_refused_total',
    help: 'Sessions refused',
    labelNames: ['reason'],
    registers: [registry],
  }),
};
