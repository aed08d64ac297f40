/**
 * Moonshine's published names: the onnx-community exports earshot runs, short names for them (`moonshine-tiny`),
 * and the default when the model setting is still the (Whisper) default.
 */
import { SETTINGS } from '../../../shared/config.ts';

export const MOONSHINE_MODELS = {
  'moonshine-tiny': 'onnx-community/moonshine-tiny-ONNX',
  'moonshine-base': 'onnx-community/moonshine-base-ONNX',
} as const;

export const DEFAULT_MOONSHINE_MODEL = MOONSHINE_MODELS['moonshine-base'];

/** The model `moonshine-onnx` loads for a `--model` setting: a short name expanded, the Whisper default replaced. */
export function moonshineModel(setting: string): string {
  if (setting === SETTINGS.sttModel.default) return DEFAULT_MOONSHINE_MODEL;
  return MOONSHINE_MODELS[setting as keyof typeof MOONSHINE_MODELS] ?? setting;
}
