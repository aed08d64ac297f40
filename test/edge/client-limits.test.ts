import { describe, expect, it } from 'vitest';
import { ClientLimits } from '../../edge/realtime/client-limits.ts';

const options = { maxAudioRate: 2, audioBurstSeconds: 10, maxFramesPerSecond: 100, maxSendBufferBytes: 1000 };

describe('ClientLimits', () => {
  it('allows real-time audio forever and a burst ahead of the rate, then refuses', () => {
    const limits = new ClientLimits(options, 0);
    for (let t = 0; t < 600_000; t += 100) expect(limits.onFrame(0.1, t)).toBeNull();
    const burst = new ClientLimits(options, 0);
    let breach = null;
    let sent = 0;
    for (; sent < 100 && !breach; sent++) breach = burst.onFrame(1, 0);
    expect(breach?.code).toBe('rate_limited');
    expect(sent).toBe(11);
  });

  it('refuses floods of tiny frames beyond twice the per-second rate', () => {
    const limits = new ClientLimits(options, 0);
    const results = Array.from({ length: 300 }, () => limits.onFrame(0.0001, 0));
    expect(results.findIndex((r) => r !== null)).toBe(200);
  });

  it('reports a slow consumer once its send buffer passes the bound', () => {
    const limits = new ClientLimits(options, 0);
    expect(limits.onSend(1000)).toBeNull();
    expect(limits.onSend(1001)?.code).toBe('slow_consumer');
  });
});
