/**
 * The embedded TTS engine: espeak-ng (Debian's package), one child process per utterance with the text on stdin
 * (never on the command line, where a leading "-" would read as an option), a bounded text length, a timeout and
 * a bound on the audio it may write. Processes run beside the event loop, not on it; `concurrency` of them at once.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { EarshotError } from '../../shared/errors.ts';
import { decodeWav } from '../../shared/audio/wav.ts';
import { floatToPcm16 } from '../../shared/audio/pcm.ts';
import { resample } from '../../shared/audio/resample.ts';
import { boundedText, type TtsEngine, type TtsRequest, type TtsResult } from './types.ts';

/** Every engine answers 16 kHz: the pipeline's rate, and what production voices (MMS-TTS) produce. */
export const TTS_SAMPLE_RATE = 16000;

export interface EspeakOptions {
  /** The espeak-ng binary (default `espeak-ng` on PATH). */
  binary?: string;
  /** Processes at once (default 2). */
  concurrency?: number;
  /** A process that runs longer is killed and its request fails (default 10 s). */
  timeoutMs?: number;
  /** Words per minute (espeak-ng's `-s`, default 140). */
  wordsPerMinute?: number;
  /**
   * espeak-ng voice variant (default `klatt3`: Klatt synthesis, which sounds less buzzy than the default formant
   * voice, and which pocketsphinx recognises best: 0.58 WER against 0.81 on the same four English sentences).
   */
  variant?: string;
}

/** At most this much WAV from one process (about 2 minutes at 22 kHz): anything bigger is a runaway. */
const MAX_WAV_BYTES = 6 * 1024 * 1024;

export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak-ng';
  readonly #o: Required<EspeakOptions>;
  /** ISO code → espeak-ng voice (`fr` → `fr-fr`, `en` → `en-us`). */
  #voices = new Map<string, string>();

  constructor(options: EspeakOptions = {}) {
    this.#o = {
      binary: 'espeak-ng',
      concurrency: 2,
      timeoutMs: 10_000,
      wordsPerMinute: 140,
      variant: 'klatt3',
      ...options,
    };
  }

  get languages(): readonly string[] {
    return [...this.#voices.keys()].filter((code) => !code.includes('-'));
  }

  speaks(language: string): boolean {
    return this.#voiceFor(language) !== undefined;
  }

  async load(): Promise<void> {
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(this.#o.binary, ['--voices'], { timeout: 10_000 }));
    } catch (err) {
      throw new EarshotError(
        'engine_unavailable',
        `espeak-ng is not available (${(err as Error).message}); install it with \`apt-get install espeak-ng\``,
      );
    }
    const names = stdout
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/)[1])
      .filter((n): n is string => Boolean(n));
    const preferred: Record<string, string> = { en: 'en-us', fr: 'fr-fr', pt: 'pt' };
    for (const name of names) {
      this.#voices.set(name, name);
      const code = name.split('-')[0]!;
      if (!this.#voices.has(code) || preferred[code] === name) this.#voices.set(code, name);
    }
    for (const [code, name] of Object.entries(preferred)) if (names.includes(name)) this.#voices.set(code, name);
  }

  async synthesize(batch: readonly TtsRequest[], signal?: AbortSignal): Promise<TtsResult[]> {
    const out: TtsResult[] = new Array(batch.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < batch.length; i = next++) out[i] = await this.#speak(batch[i]!, signal);
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, batch.length) }, worker));
    return out;
  }

  async close(): Promise<void> {}

  #voiceFor(language: string): string | undefined {
    return (
      this.#voices.get(language) ??
      this.#voices.get(language.toLowerCase()) ??
      this.#voices.get(language.split('-')[0]!.toLowerCase())
    );
  }

  #speak(request: TtsRequest, signal?: AbortSignal): Promise<TtsResult> {
    const voice = this.#voiceFor(request.language);
    if (!voice)
      return Promise.reject(new EarshotError('unsupported_voice', `espeak-ng has no voice for "${request.language}"`));
    const text = boundedText(request.text);
    if (!text.trim()) return Promise.resolve({ id: request.id, pcm: new Int16Array(0), sampleRate: TTS_SAMPLE_RATE });
    return new Promise((resolve, reject) => {
      // -b 1: the text is UTF-8. No text argument: espeak-ng reads stdin.
      const child = spawn(
        this.#o.binary,
        [
          '-v',
          this.#o.variant ? `${voice}+${this.#o.variant}` : voice,
          '-s',
          String(this.#o.wordsPerMinute),
          '-b',
          '1',
          '--stdout',
        ],
        { stdio: ['pipe', 'pipe', 'pipe'], signal, timeout: this.#o.timeoutMs, killSignal: 'SIGKILL' },
      );
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_WAV_BYTES) child.kill('SIGKILL');
        else chunks.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-300)));
      child.on('error', (err) => reject(new EarshotError('tts_failed', `espeak-ng failed: ${err.message}`)));
      child.on('close', (code, killed) => {
        if (code !== 0)
          return reject(
            new EarshotError(
              'tts_failed',
              killed
                ? `espeak-ng stopped (${killed}: over ${this.#o.timeoutMs} ms or ${MAX_WAV_BYTES} bytes)`
                : `espeak-ng exited with ${code}: ${stderr.trim()}`,
            ),
          );
        try {
          const wav = decodeWav(Buffer.concat(chunks));
          const samples = wav.samples[0] ?? new Float32Array(0);
          resolve({
            id: request.id,
            pcm: floatToPcm16(
              wav.sampleRate === TTS_SAMPLE_RATE ? samples : resample(samples, wav.sampleRate, TTS_SAMPLE_RATE),
            ),
            sampleRate: TTS_SAMPLE_RATE,
          });
        } catch (err) {
          reject(new EarshotError('tts_failed', `espeak-ng wrote no readable WAV: ${(err as Error).message}`));
        }
      });
      child.stdin.on('error', () => undefined); // a process that died early: reported by 'close'
      child.stdin.end(text);
    });
  }
}
