import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config.ts';

describe('loadConfig', () => {
  it('has the embedded defaults: loopback, port 8080, auto engines (Whisper + NLLB when available, else sphinx + apertium)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      stt: 'auto',
      mt: 'auto',
      maxFrameBytes: 1024 * 1024,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads environment variables, and flags win over them', () => {
    const config = loadConfig({ PORT: '9000', EARSHOT_MT: 'none', HOST: '0.0.0.0' }, { port: '9100' });
    expect(config.port).toBe(9100);
    expect(config.mt).toBe('none');
    expect(config.host).toBe('0.0.0.0');
  });

  it('rejects invalid values with a message naming the setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({}, { stt: 'dragon' })).toThrow(/--stt/);
    expect(() => loadConfig({ EARSHOT_VAD_AGGRESSIVENESS: '7' })).toThrow(/EARSHOT_VAD_AGGRESSIVENESS/);
  });
});
