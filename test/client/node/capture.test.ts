/**
 * Audio sources (client/node/capture/): the recorder commands chosen for `mic`, `system` and `both` on each
 * platform (Windows and macOS are only built here, never run), the mixer's sum, clipping and arrival alignment,
 * and a real two-process mix with sox.
 */
import { describe, expect, it } from 'vitest';
import { captureCommands, AudioSource } from '../../../client/node/capture/source.ts';
import { PcmMixer } from '../../../client/node/capture/mixer.ts';
import { startRecording } from '../../../client/node/capture/recording.ts';
import { RecorderError } from '../../../client/node/recorder.ts';

const has =
  (...programs: string[]) =>
  (p: string) =>
    programs.includes(p);
const RAW_OUT = ['-ac', '1', '-ar', '16000', '-f', 's16le', '-'];

describe('captureCommands', () => {
  it('mic is the microphone recorder alone, as before', () => {
    expect(captureCommands({ source: 'mic', platform: 'linux', device: 'hw:1', has: has('arecord') })).toEqual([
      { command: 'arecord', args: ['-q', '-t', 'raw', '-f', 'S16_LE', '-r', '16000', '-c', '1', '-D', 'hw:1'] },
    ]);
  });

  it('system on Linux records the default output’s monitor with parec, else ffmpeg’s pulse input', () => {
    expect(captureCommands({ source: 'system', platform: 'linux', has: has('parec', 'ffmpeg', 'arecord') })).toEqual([
      {
        command: 'parec',
        args: [
          '--device=@DEFAULT_MONITOR@',
          '--format=s16le',
          '--rate=16000',
          '--channels=1',
          '--latency-msec=50',
          '--client-name=earshot',
        ],
      },
    ]);
    expect(
      captureCommands({
        source: 'system',
        platform: 'linux',
        systemDevice: 'alsa_output.usb.monitor',
        has: has('ffmpeg'),
      }),
    ).toEqual([
      {
        command: 'ffmpeg',
        args: ['-loglevel', 'error', '-nostdin', '-f', 'pulse', '-i', 'alsa_output.usb.monitor', ...RAW_OUT],
      },
    ]);
    expect(() => captureCommands({ source: 'system', platform: 'linux', has: has('arecord') })).toThrow(RecorderError);
    expect(() => captureCommands({ source: 'system', platform: 'linux', has: has('arecord') })).toThrow(
      /pulseaudio-utils/,
    );
  });

  it('system on Windows reads a loopback recording device through DirectShow ("Stereo Mix" unless named)', () => {
    expect(captureCommands({ source: 'system', platform: 'win32', has: has('ffmpeg') })).toEqual([
      {
        command: 'ffmpeg',
        args: ['-loglevel', 'error', '-nostdin', '-f', 'dshow', '-i', 'audio=Stereo Mix', ...RAW_OUT],
      },
    ]);
    const cable = captureCommands({
      source: 'system',
      platform: 'win32',
      systemDevice: 'CABLE Output (VB-Audio Virtual Cable)',
      has: has('sox'),
    });
    expect(cable).toEqual([
      {
        command: 'sox',
        args: [
          '-q',
          '-t',
          'waveaudio',
          'CABLE Output (VB-Audio Virtual Cable)',
          '-t',
          'raw',
          '-r',
          '16000',
          '-e',
          'signed',
          '-b',
          '16',
          '-c',
          '1',
          '-',
        ],
      },
    ]);
    expect(() => captureCommands({ source: 'system', platform: 'win32', has: has() })).toThrow(/Stereo Mix/);
  });

  it('system on macOS records the BlackHole virtual device unless another is named', () => {
    expect(captureCommands({ source: 'system', platform: 'darwin', has: has('ffmpeg', 'sox') })).toEqual([
      {
        command: 'ffmpeg',
        args: ['-loglevel', 'error', '-nostdin', '-f', 'avfoundation', '-i', ':BlackHole 2ch', ...RAW_OUT],
      },
    ]);
    expect(
      captureCommands({
        source: 'system',
        platform: 'darwin',
        systemDevice: 'Loopback Audio',
        has: has('sox'),
      })[0]!.args.slice(0, 4),
    ).toEqual(['-q', '-t', 'coreaudio', 'Loopback Audio']);
    expect(() => captureCommands({ source: 'system', platform: 'darwin', has: has() })).toThrow(/BlackHole/);
  });

  it('both is the microphone and system audio, microphone first; overrides replace either command', () => {
    const both = captureCommands({
      source: 'both',
      platform: 'linux',
      recorder: 'my-mic --raw',
      systemRecorder: `pw-record --target "Built-in Audio" -`,
      has: has('parec'),
    });
    expect(both).toEqual([
      { command: 'my-mic', args: ['--raw'] },
      { command: 'pw-record', args: ['--target', 'Built-in Audio', '-'] },
    ]);
    expect(
      captureCommands({ source: 'both', platform: 'win32', has: has('ffmpeg') }).map((c) =>
        c.args.find((a) => a.startsWith('audio=')),
      ),
    ).toEqual(['audio=default', 'audio=Stereo Mix']);
  });

  it('accepts only mic, system and both as sources', () => {
    expect(AudioSource.options).toEqual(['mic', 'system', 'both']);
    expect(AudioSource.safeParse('speakers').success).toBe(false);
  });
});

describe('PcmMixer', () => {
  const collect = (inputs: number, maxLag = 100) => {
    const out: number[] = [];
    const mixer = new PcmMixer(inputs, (pcm) => out.push(...pcm), maxLag);
    return { mixer, out };
  };

  it('sums the inputs sample by sample and clips to the PCM16 range', () => {
    const { mixer, out } = collect(2);
    mixer.push(0, Int16Array.from([100, -200, 30000, -30000]));
    mixer.push(1, Int16Array.from([1, 2, 10000, -10000]));
    expect(out).toEqual([101, -198, 32767, -32768]);
    expect(mixer.samples).toBe(4);
  });

  it('aligns by arrival: output waits for the slower input, however the chunks are cut', () => {
    const { mixer, out } = collect(2);
    mixer.push(0, Int16Array.from([1, 2, 3, 4, 5]));
    expect(out).toEqual([]);
    mixer.push(1, Int16Array.from([10, 20]));
    expect(out).toEqual([11, 22]);
    mixer.push(1, Int16Array.from([30, 40, 50, 60]));
    expect(out).toEqual([11, 22, 33, 44, 55]);
    mixer.push(0, Int16Array.from([6]));
    expect(out).toEqual([11, 22, 33, 44, 55, 66]);
  });

  it('a stalled input becomes silence beyond maxLag, and its later audio is mixed as it arrives', () => {
    const { mixer, out } = collect(2, 3);
    mixer.push(0, Int16Array.from([1, 1, 1, 1, 1]));
    expect(out).toEqual([1, 1]); // 5 queued, 0 from the other: all but 3 go out with silence
    mixer.push(1, Int16Array.from([100, 100, 100]));
    expect(out).toEqual([1, 1, 101, 101, 101]);
  });

  it('an ended input no longer holds the others back; its queued audio is still mixed', () => {
    const { mixer, out } = collect(2);
    mixer.push(1, Int16Array.from([7, 7]));
    mixer.push(0, Int16Array.from([1]));
    mixer.end(0);
    expect(out).toEqual([8, 7]);
    mixer.push(1, Int16Array.from([5]));
    mixer.push(0, Int16Array.from([9])); // after its end: ignored
    expect(out).toEqual([8, 7, 5]);
  });
});

describe('startRecording', () => {
  // ffmpeg -re paces its output at real time, as a microphone or a monitor source delivers audio.
  const tone = (freq: number, seconds: number, volume: number) => ({
    command: 'ffmpeg',
    args: [
      '-loglevel',
      'error',
      '-nostdin',
      '-re',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${freq}:duration=${seconds}`,
      '-af',
      `volume=${volume}`,
      '-ac',
      '1',
      '-ar',
      '16000',
      '-f',
      's16le',
      '-',
    ],
  });

  it('mixes two real, real-time recorder processes into one stream', async () => {
    const chunks: Int16Array[] = [];
    const recording = startRecording([tone(440, 2, 0.5), tone(1000, 2, 0.5)], (pcm) => chunks.push(pcm));
    await recording.ended;
    const mixed = Int16Array.from(chunks.flatMap((c) => [...c]));
    // Two seconds each, overlapping: about two seconds out (more only if one started over 0.5 s late).
    expect(mixed.length).toBeGreaterThanOrEqual(32000);
    expect(mixed.length).toBeLessThan(48000);
    expect(recording.seconds).toBe(mixed.length / 16000);
    const peak = mixed.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    // Each tone peaks at 1/16 of full scale (lavfi's 1/8, halved); only their sum reaches past 0.09.
    expect(peak).toBeGreaterThan(0.09 * 32767);
    expect(peak).toBeLessThanOrEqual(0.126 * 32767);
  });

  it('one recorder failing stops the other and the recording rejects with its reason', async () => {
    const endless = {
      command: 'sox',
      args: [
        '-q',
        '-n',
        '-t',
        'raw',
        '-r',
        '16000',
        '-e',
        'signed',
        '-b',
        '16',
        '-c',
        '1',
        '-',
        'synth',
        '600',
        'sine',
        '440',
      ],
    };
    const recording = startRecording([endless, { command: 'no-such-recorder', args: [] }], () => undefined);
    await expect(recording.ended).rejects.toThrow('recorder "no-such-recorder" not found');
  });
});
