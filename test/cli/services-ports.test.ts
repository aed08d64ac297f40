/** Runners' health ports default beside an edge's 8080, so README's processes run on one machine as written. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.ts';
import { RUNNER_PORTS, serviceEnv } from '../../cli/services.ts';

const portOf = (service: 'all' | 'edge' | 'runner', role: string | undefined, env: Record<string, string> = {}) =>
  loadConfig(serviceEnv(service, role, env)).port;

describe('default ports', () => {
  it('an edge takes 8080; the STT and MT runners 8081 and 8082, all distinct', () => {
    const ports = [portOf('edge', undefined), portOf('runner', 'stt'), portOf('runner', 'mt')];
    expect(ports).toEqual([8080, RUNNER_PORTS.stt, RUNNER_PORTS.mt]);
    expect(new Set(ports).size).toBe(3);
  });

  it('PORT still wins for runners', () => {
    expect(portOf('runner', 'stt', { PORT: '9100' })).toBe(9100);
  });
});
