/**
 * The model store a process uses, from its configuration: the model dir, then the Hugging Face cache, then the S3
 * bucket and the hub when configured. Downloads draw a progress bar on stderr (the CLI's terminal).
 */
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { HubSource } from './hub-source.ts';
import { LayeredModelStore, type ModelStore, type RemoteSource } from './model-store.ts';
import { stderrProgressBar, type ProgressReporter } from './progress.ts';
import { S3Source } from './s3-source.ts';

export function modelStoreFromConfig(
  config: Pick<Config, 'modelDir' | 'modelS3' | 'modelHub'>,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
  progress: ProgressReporter = stderrProgressBar(),
): ModelStore {
  const remotes: RemoteSource[] = [];
  if (config.modelS3)
    remotes.push(
      new S3Source({ url: config.modelS3, endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined }),
    );
  if (config.modelHub) remotes.push(new HubSource({ baseUrl: config.modelHub, token: env.HF_TOKEN || undefined }));
  return new LayeredModelStore({ modelDir: config.modelDir || undefined, remotes, progress, logger });
}
