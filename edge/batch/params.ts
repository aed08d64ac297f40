/**
 * The form fields of `POST /v1/audio/transcriptions` and `/translations`, as OpenAI's API names them.
 * `model`, `prompt` and `temperature` are accepted for compatibility: the engine is chosen by the deployment
 * (EARSHOT_STT), and sphinx takes neither a prompt nor a temperature.
 */
import { z } from 'zod';
import { EarshotError } from '../../shared/errors.ts';

export const RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];
export type Task = 'transcribe' | 'translate';

export interface BatchParams {
  task: Task;
  model: string;
  /** ISO 639-1 of the speech; the engine's default when absent. */
  language?: string;
  prompt?: string;
  responseFormat: ResponseFormat;
  temperature?: number;
}

const Fields = z.object({
  model: z.string().min(1).max(200).default('default'),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'an ISO 639-1 code such as "en"')
    .transform((l) => l.split('-')[0]!)
    .optional(),
  prompt: z.string().max(10_000).optional(),
  response_format: z.enum(RESPONSE_FORMATS).default('json'),
  temperature: z.coerce.number().min(0).max(1).optional(),
  'timestamp_granularities[]': z.array(z.enum(['segment', 'word'])).optional(),
});

/** A file part of the form: its bytes as they arrived, not copied (a File would copy them twice). */
export interface UploadedFile {
  filename: string;
  type: string;
  bytes: Uint8Array;
}

export type FormBody = Record<string, string | UploadedFile | (string | UploadedFile)[]>;

const isUpload = (value: unknown): value is UploadedFile =>
  typeof value === 'object' && value !== null && 'bytes' in value;

/** Validates the form; the audio comes back as bytes. Throws `invalid_request` naming the field. */
export async function parseBatchForm(
  form: FormBody,
  task: Task,
): Promise<{ audio: Uint8Array; filename: string; params: BatchParams }> {
  const file = form.file;
  if (!isUpload(file)) throw new EarshotError('invalid_request', 'the multipart field "file" (the audio) is missing');
  const strings = Object.fromEntries(
    Object.entries(form).filter(
      ([key, value]) => key !== 'file' && (typeof value === 'string' || Array.isArray(value)),
    ),
  );
  const parsed = Fields.safeParse(strings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EarshotError('invalid_request', `${issue?.path.join('.') || 'form'}: ${issue?.message ?? 'invalid'}`);
  }
  const f = parsed.data;
  const granularities = f['timestamp_granularities[]'] ?? [];
  if (granularities.length > 0 && f.response_format !== 'verbose_json') {
    throw new EarshotError('invalid_request', 'timestamp_granularities[] needs response_format "verbose_json"');
  }
  // Segment times come from the VAD; per-word times would need an engine that aligns words, which none here does.
  if (granularities.includes('word'))
    throw new EarshotError(
      'invalid_request',
      'word timestamps are not available; timestamp_granularities[] may only be "segment"',
    );
  return {
    audio: file.bytes,
    filename: file.filename,
    params: {
      task,
      model: f.model,
      responseFormat: f.response_format,
      ...(f.language ? { language: f.language } : {}),
      ...(f.prompt ? { prompt: f.prompt } : {}),
      ...(f.temperature !== undefined ? { temperature: f.temperature } : {}),
    },
  };
}
