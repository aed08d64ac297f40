/** Choosing and running the microphone recorder (client/node/recorder.ts). */
import { describe, expect, it } from 'vitest';
import { Recorder, recorderCommand, RecorderError, splitCommand } from '../../../client/node/recorder.ts';

const has =
  (...programs: string[]) =>
  (p: string) =>
    programs.includes(p);

describe('recorderCommand', () => {
  it('prefers arecord on Linux, then sox, then ffmpeg, with the device when given', () => {
    expect(recorderCommand({ platform: 'linux', has: has('arecord', 'sox') })).toEqual({
      command: 'arecord',
      args: ['-q', '-t', 'raw', '-f', 'S16_LE', '-r', '16000', '-c', '1'],
    });
    expect(recorderCommand({ platform: 'linux', device: 'hw:1', has: has('arecord') }).args.slice(-2)).toEqual([
      '-D',
      'hw:1',
    ]);
    expect(recorderCommand({ platform: 'linux', has: has('sox') })).toEqual({
      command: 'sox',
      args: ['-q', '-d', '-t', 'raw', '-r', '16000', '-e', 'signed', '-b', '16', '-c', '1', '-'],
    });
    expect(recorderCommand({ platform: 'darwin', has: has('ffmpeg') }).args).toContain('avfoundation');
    expect(recorderCommand({ platform: 'win32', device: 'Microphone (USB)', has: has('ffmpeg') }).args).toContain(
      'audio=Microphone (USB)',
    );
  });

  it('uses an override as given, and says what to install when nothing is there', () => {
    expect(recorderCommand({ override: `sox "my talk.wav" -t raw -`, has: has() })).toEqual({
      command: 'sox',
      args: ['my talk.wav', '-t', 'raw', '-'],
    });
    expect(() => recorderCommand({ platform: 'linux', has: has() })).toThrow(
      /install alsa-utils \(arecord\), sox or ffmpeg/,
    );
  });
});

describe('splitCommand', () => {
  it('honours quotes and escapes without a shell', () => {
    expect(splitCommand(`sh -c 'sox a.wav -t raw -; exec sleep 9' "x y" a\\ b ""`)).toEqual([
      'sh',
      '-c',
      'sox a.wav -t raw -; exec sleep 9',
      'x y',
      'a b',
      '',
    ]);
    expect(() => splitCommand(`echo "open`)).toThrow(RecorderError);
  });
});

describe('Recorder', () => {
  it('delivers whole samples however stdout is chunked', async () => {
    // 3 bytes then 3 bytes: the odd byte is carried over.
    const chunks: number[] = [];
    const r = new Recorder(
      { command: 'sh', args: ['-c', "printf '\\001\\000\\002'; sleep 0.1; printf '\\000\\003\\000'"] },
      (pcm) => chunks.push(...pcm),
    );
    await r.ended;
    expect(chunks).toEqual([1, 2, 3]);
  });

  it('fails clearly when the program is missing or exits without audio', async () => {
    await expect(new Recorder({ command: 'no-such-recorder', args: [] }, () => undefined).ended).rejects.toThrow(
      /recorder "no-such-recorder" not found/,
    );
    await expect(
      new Recorder({ command: 'sh', args: ['-c', 'echo no device >&2; exit 3'] }, () => undefined).ended,
    ).rejects.toThrow(/exited 3 without audio: no device/);
  });
});
