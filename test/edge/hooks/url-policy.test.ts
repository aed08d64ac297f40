/** Webhook URLs against SSRF: form checks at `start`, address checks in the socket's DNS lookup (docs/llm-hooks.md). */
import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, guardedLookup, isPrivateAddress } from '../../../edge/hooks/url-policy.ts';

const strict = { allowPrivate: false };

describe('webhook URL policy', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
  ])('treats %s as non-public', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])('treats %s as public', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('accepts public http(s) URLs and refuses other schemes, credentials and private literals', () => {
    expect(checkWebhookUrl('https://hooks.example.com/x', strict).host).toBe('hooks.example.com');
    for (const bad of [
      'file:///etc/passwd',
      'gopher://x',
      'ftp://example.com/',
      'https://user:pw@example.com/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:6379/',
      'http://localhost:6379/',
      'not a url',
    ]) {
      expect(() => checkWebhookUrl(bad, strict), bad).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
    expect(checkWebhookUrl('http://127.0.0.1:9/x', { allowPrivate: true }).port).toBe('9');
  });

  it('refuses, at connect time, a name that resolves to a loopback address (what DNS rebinding would do)', async () => {
    const lookup = guardedLookup(strict);
    const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup('localhost', {}, (err) => resolve(err)),
    );
    expect(refused?.code).toBe('EWEBHOOKPRIVATE');
    const allowed = await new Promise<string>((resolve, reject) =>
      guardedLookup({ allowPrivate: true })('localhost', {}, (err, address) =>
        err ? reject(err) : resolve(address as string),
      ),
    );
    expect(isPrivateAddress(allowed)).toBe(true);
  });
});
