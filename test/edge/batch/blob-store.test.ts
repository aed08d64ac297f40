/** Both blob stores pass the same checks; S3 runs against a real S3-protocol server (s3rver) on loopback. */
import { mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBlobStore, type BlobStore } from '../../../edge/batch/blob-store.ts';
import { S3BlobStore } from '../../../edge/batch/s3-blob-store.ts';
import { S3_CREDENTIALS, TestS3 } from '../../support/s3-server.ts';

function contract(name: string, make: () => BlobStore) {
  describe(name, () => {
    it('stores, reads back and deletes bytes by key', async () => {
      const store = make();
      const bytes = new Uint8Array([0, 1, 2, 250, 255]);
      await store.put('uploads/job-1.wav', bytes, 'audio/wav');
      expect(await store.get('uploads/job-1.wav')).toEqual(bytes);
      await store.put('uploads/job-1.wav', new Uint8Array([7]), 'audio/wav');
      expect(await store.get('uploads/job-1.wav')).toEqual(new Uint8Array([7]));
      await store.delete('uploads/job-1.wav');
      expect(await store.get('uploads/job-1.wav')).toBeUndefined();
      await store.delete('uploads/never-there.wav');
    });

    it('refuses keys that could leave the store', async () => {
      const store = make();
      for (const key of ['../etc/passwd', 'uploads/../../x', '/abs', 'uploads/.hidden', '']) {
        await expect(store.put(key, new Uint8Array(1), 'x'), key).rejects.toThrow(/invalid blob key/);
      }
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'earshot-blobs-'));
const age = (key: string, ms: number) => {
  const when = new Date(Date.now() - ms);
  utimesSync(join(root, key), when, when);
};
contract('LocalBlobStore', () => new LocalBlobStore(root));

describe('LocalBlobStore sweep', () => {
  it('deletes only the old blobs under a prefix', async () => {
    const store: BlobStore = new LocalBlobStore(root);
    await store.put('results/old.json', new Uint8Array([1]), 'application/json');
    await store.put('results/new.json', new Uint8Array([2]), 'application/json');
    await store.put('uploads/old.wav', new Uint8Array([3]), 'audio/wav');
    age('results/old.json', 3_600_000);
    age('uploads/old.wav', 3_600_000);
    expect(await store.deleteOlderThan('results', Date.now() - 60_000)).toBe(1);
    expect(await store.get('results/old.json')).toBeUndefined();
    expect(await store.get('results/new.json')).toEqual(new Uint8Array([2]));
    expect(await store.get('uploads/old.wav')).toEqual(new Uint8Array([3]));
    expect(await store.deleteOlderThan('nothing-here', Date.now())).toBe(0);
  });
});

let s3: TestS3;
beforeAll(async () => {
  s3 = await TestS3.start();
});
afterAll(async () => {
  await s3?.stop();
});
const s3Store = () =>
  new S3BlobStore({
    bucket: s3.bucket,
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
contract('S3BlobStore', s3Store);

// S3 sets LastModified itself: a cut-off in the future stands in for old objects, one in the past must keep them.
describe('S3BlobStore sweep', () => {
  it('deletes objects written before the cut-off and keeps later ones', async () => {
    const store = s3Store();
    await store.put('results/a.json', new Uint8Array([1]), 'application/json');
    expect(await store.deleteOlderThan('results', Date.now() - 60_000)).toBe(0);
    expect(await store.deleteOlderThan('results', Date.now() + 60_000)).toBeGreaterThanOrEqual(1);
    expect(await store.get('results/a.json')).toBeUndefined();
  });
});
