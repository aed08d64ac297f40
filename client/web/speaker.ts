/**
 * The speaker page: the microphone streams to `WS /v1/realtime`, captions appear as they form (the partial in
 * grey italics, replaced by its final), translations under each final, and a share link opens the watch page.
 *
 * Query parameters: `language`, `targets` (comma-separated) preselect the pickers; `maxSeconds=N` stops after
 * N seconds of audio (for kiosks, demos and tests with a looping fake microphone); `token` is a token minted
 * elsewhere. With auth on and no `token`, the page asks for an API key (see credentials.ts).
 *
 * The session is the client library's ResilientSession (client/resilient-session.ts), as for the CLI and the desktop
 * app: it keeps the audio the server has not acknowledged, reconnects with the session id and the last complete
 * `seq`, replays from the server's `resume_from`, and hands each caption over once.
 */
import type { ServerEvent } from '../../shared/protocol.ts';
import { RealtimeError, type WebSocketConstructor } from '../realtime-client.ts';
import { ResilientSession } from '../resilient-session.ts';
import { CaptionBook } from './captions.ts';
import { CaptionView, languageName } from './caption-view.ts';
import { authRequired, bearerProtocols, exchangeKey, KeyRefused, saveKey, savedKey } from './credentials.ts';
import { openMic, type Mic } from './mic.ts';
import { COMMON_LANGUAGES, socketUrl } from './protocol.ts';

const SAMPLE_RATE = 16000;
/** Unsent audio past which the page warns that the network is not keeping up (the mic cannot slow down). */
const SLOW_NETWORK_BYTES = 512 * 1024;

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const els = {
  status: $('status'),
  language: $('language') as HTMLSelectElement,
  targets: $('targets'),
  toggle: $('toggle') as HTMLButtonElement,
  toggleLabel: $('toggle-label'),
  level: $('level'),
  notice: $('notice'),
  share: $('share'),
  shareLink: $('share-link') as HTMLInputElement,
  copy: $('copy') as HTMLButtonElement,
  overlayLink: $('overlay-link') as HTMLAnchorElement,
  empty: $('empty'),
  auth: $('auth'),
  apiKey: $('api-key') as HTMLInputElement,
};

const params = new URLSearchParams(location.search);
const maxSamples = Number(params.get('maxSeconds')) > 0 ? Number(params.get('maxSeconds')) * SAMPLE_RATE : Infinity;
/** A token in the page's address is sent as `?token=` (socketUrl); the page then needs no key. */
const pageToken = params.get('token');
const saved = { language: localStorage.getItem('earshot.language'), targets: localStorage.getItem('earshot.targets') };

const book = new CaptionBook();
const view = new CaptionView($('captions'), $('partial'));

type State = 'idle' | 'starting' | 'live' | 'finishing';
let state: State = 'idle';
let mic: Mic | null = null;
/** The session being spoken, once the server has accepted it. */
let session: ResilientSession | null = null;
/** Audio captured before the server's first `ready`: sent as soon as the session exists. */
let early: Int16Array[] = [];
let samplesSent = 0;

/**
 * What the server can do (GET /v1/capabilities): the languages it transcribes and, per spoken language, the ones it
 * translates into. Without it (an older server) the page offers a common list and the server drops what it cannot do.
 */
let capabilities: {
  stt: { languages: string[] };
  mt: { targets: Record<string, { language: string; via?: string }[]> };
} | null = null;

async function fillPickers() {
  capabilities = await fetch(new URL('v1/capabilities', location.href.replace(/[^/]*$/, '')))
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null);
  const spoken = params.get('language') ?? saved.language ?? 'en';
  const languages = capabilities?.stt.languages ?? COMMON_LANGUAGES;
  for (const code of languages) els.language.add(new Option(languageName(code), code, false, code === spoken));
  renderTargets(new Set((params.get('targets') ?? saved.targets ?? '').split(',').filter(Boolean)));
}

/** One chip per language the spoken one can be translated into (a pivot is named in the chip's tooltip). */
function renderTargets(chosen: Set<string> = new Set(chosenTargets())): void {
  const offered: { language: string; via?: string }[] = capabilities
    ? (capabilities.mt.targets[els.language.value] ?? [])
    : COMMON_LANGUAGES.map((language) => ({ language }));
  els.targets.replaceChildren();
  for (const { language: code, via } of offered) {
    const label = document.createElement('label');
    label.className = 'chip';
    if (via) label.title = `translated through ${languageName(via)}`;
    const box = Object.assign(document.createElement('input'), {
      type: 'checkbox',
      value: code,
      checked: chosen.has(code),
    });
    const text = document.createElement('span');
    text.textContent = languageName(code);
    label.append(box, text);
    els.targets.append(label);
  }
  syncTargets();
}

/** A language cannot be its own translation target. */
function syncTargets() {
  for (const box of els.targets.querySelectorAll('input')) {
    box.disabled = box.value === els.language.value || state !== 'idle';
    if (box.value === els.language.value) box.checked = false;
  }
  els.language.disabled = state !== 'idle';
  els.apiKey.disabled = state !== 'idle';
}

function askForKey() {
  if (pageToken) return;
  els.apiKey.value ||= savedKey();
  els.auth.hidden = false;
}

/**
 * The WebSocket class for the next connection: it carries a fresh token from the key in its subprotocols when the
 * server needs one. A key the server refuses ends the session; an unreachable server mid-session is retried.
 */
async function authenticatedSocket(): Promise<WebSocketConstructor> {
  let protocols: string[] = [];
  if (!pageToken && !els.auth.hidden) {
    try {
      protocols = bearerProtocols(await exchangeKey(els.apiKey.value.trim()));
    } catch (err) {
      if (err instanceof KeyRefused) throw err;
      throw new RealtimeError('connect_failed', err instanceof Error ? err.message : String(err));
    }
  }
  return class extends WebSocket {
    constructor(url: string) {
      super(url, protocols);
    }
  } as unknown as WebSocketConstructor;
}

function chosenTargets(): string[] {
  return [...els.targets.querySelectorAll('input')].filter((b) => b.checked && !b.disabled).map((b) => b.value);
}

function setState(next: State, label: string, dataState: string = next): void {
  state = next;
  els.status.textContent = label;
  els.status.dataset.state = dataState;
  const live = next === 'live';
  els.toggle.setAttribute('aria-pressed', String(live));
  els.toggle.disabled = next === 'starting' || next === 'finishing';
  els.toggleLabel.textContent = live
    ? 'Stop'
    : next === 'finishing'
      ? 'Finishing…'
      : next === 'starting'
        ? 'Starting…'
        : 'Start';
  syncTargets();
}

function notify(text: string, kind: 'info' | 'error' = 'info'): void {
  els.notice.textContent = text;
  els.notice.dataset.kind = kind;
  els.notice.hidden = !text;
}

function render() {
  view.render(book.view({ count: 200, subs: true }));
  els.empty.hidden = book.lines.length > 0 || book.partial !== null;
  // Follow the newest caption unless the reader scrolled up to reread something.
  const bottom = document.documentElement.scrollHeight - window.innerHeight - window.scrollY < 160;
  if (bottom) window.scrollTo({ top: document.documentElement.scrollHeight });
}

/** Reconnection attempts after a dropped connection before the page gives up. */
const MAX_RECONNECTS = 20;

async function start() {
  // Read before the pickers are locked for the session (locked boxes count as unchosen).
  const language = els.language.value;
  const targets = chosenTargets();
  if (!els.auth.hidden && !els.apiKey.value.trim()) {
    els.apiKey.focus();
    return notify('This server needs an API key: enter it above, then press Start.', 'error');
  }
  saveKey(els.auth.hidden ? '' : els.apiKey.value.trim());
  notify('');
  setState('starting', 'Starting…');
  book.reset();
  render();
  localStorage.setItem('earshot.language', language);
  localStorage.setItem('earshot.targets', targets.join(','));
  samplesSent = 0;
  early = [];
  session = null;
  try {
    mic = await openMic({
      onFrame: (pcm) => {
        if (state === 'live' || state === 'starting') send(pcm);
      },
      onLevel: (peak) => (els.level.style.width = `${Math.min(100, Math.round(Math.sqrt(peak) * 100))}%`),
    });
  } catch (err) {
    setState('idle', 'Ready');
    return notify(`Microphone unavailable: ${err instanceof Error ? err.message : err}`, 'error');
  }
  void open(language, targets);
}

/** Opens the session; it reconnects by itself until `done`, a refusal, or too many failed attempts. */
async function open(language: string, targets: string[]) {
  let opened: ResilientSession;
  try {
    opened = await ResilientSession.open({
      urls: [socketUrl('/v1/realtime')],
      start: { language, targets, sample_rate: SAMPLE_RATE },
      maxReconnects: MAX_RECONNECTS,
      prepareSocket: authenticatedSocket,
      onEvent: accept,
      onReconnecting: () => {
        if (state !== 'idle') setState(state, 'Reconnecting…', 'reconnecting');
      },
    });
  } catch (err) {
    return refused(err);
  }
  if (state === 'idle') return opened.close(); // stopped (or the page left) while connecting
  session = opened;
  for (const pcm of early.splice(0)) opened.sendAudio(pcm);
  if (state === 'finishing') opened.stop();
  else setState('live', 'Live');
  opened.done.then(
    () => {
      void releaseMic();
      setState('idle', 'Done', 'done');
    },
    (err: unknown) => {
      if (session !== opened) return;
      void releaseMic();
      setState('idle', 'Disconnected', 'error');
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof KeyRefused) notify(`The API key was not accepted: ${message}`, 'error');
      else if (err instanceof RealtimeError && err.code === 'session_replaced') notify(message, 'error');
      else notify(`The connection to the server was lost: ${message}`, 'error');
    },
  );
}

/** Every event, once: captions, the share link on the first `ready`, and what the reader must know. */
function accept(event: ServerEvent) {
  if (event.type === 'ready') {
    // The first `ready` comes before the session is handed over; later ones are resumes after a reconnect.
    if (!session) showShare(event.session, event.watch_token ?? '');
    else if (state !== 'idle') setState(state, state === 'finishing' ? 'Finishing…' : 'Live', state);
  } else if (event.type === 'error') {
    notify(event.message, 'info');
  }
  if (book.apply(event)) render();
}

/** The server refused to open the session (or could not be reached): nothing was streamed. */
function refused(err: unknown) {
  void releaseMic();
  setState('idle', 'Ready');
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof KeyRefused) return notify(`The API key was not accepted: ${message}`, 'error');
  if (err instanceof RealtimeError && err.code === 'unauthorized' && !pageToken) {
    askForKey();
    return notify(`This server needs an API key: enter it above, then press Start. (${message})`, 'error');
  }
  if (err instanceof RealtimeError && (err.code === 'connect_failed' || err.code === 'timeout'))
    return notify(`Cannot reach the server: ${message}`, 'error');
  notify(message, 'error');
}

function send(pcm: Int16Array) {
  const room = maxSamples - samplesSent;
  const frame = room < pcm.length ? pcm.subarray(0, Math.max(0, room)) : pcm;
  if (frame.length > 0) {
    if (session) session.sendAudio(frame);
    else early.push(frame);
  }
  samplesSent += frame.length;
  if ((session?.bufferedAmount ?? 0) > SLOW_NETWORK_BYTES)
    notify('The network is not keeping up; captions will lag.', 'error');
  if (samplesSent >= maxSamples) stop();
}

function stop() {
  if (state !== 'live') return;
  setState('finishing', 'Finishing…');
  void releaseMic();
  // The server finishes the last utterance and its translations, then says `done` (a reconnect repeats the stop).
  session?.stop();
}

async function releaseMic() {
  const m = mic;
  mic = null;
  els.level.style.width = '0';
  await m?.close().catch(() => undefined);
}

/** The share link; with auth on it carries the server's watch token for this one session. */
function showShare(session: string, token: string) {
  const watch = new URL(`/watch/${encodeURIComponent(session)}`, location.href);
  if (token) watch.searchParams.set('token', token);
  els.shareLink.value = watch.href;
  const overlay = new URL(watch);
  overlay.searchParams.set('overlay', '1');
  els.overlayLink.href = overlay.href;
  els.share.hidden = false;
}

async function copyLink() {
  try {
    await navigator.clipboard.writeText(els.shareLink.value);
  } catch {
    // Clipboard API refused (e.g. an insecure origin): select the text so Ctrl+C works.
    els.shareLink.select();
    return notify('Press Ctrl+C to copy the selected link.');
  }
  els.copy.textContent = 'Copied ✓';
  setTimeout(() => (els.copy.textContent = 'Copy link'), 1800);
}

void fillPickers();
if (!pageToken) void authRequired().then((required) => required && askForKey());
els.language.addEventListener('change', () => renderTargets());
els.toggle.addEventListener('click', () => (state === 'live' ? stop() : state === 'idle' ? void start() : undefined));
els.copy.addEventListener('click', () => void copyLink());
els.shareLink.addEventListener('focus', () => els.shareLink.select());
window.addEventListener('pagehide', () => {
  state = 'idle';
  session?.close();
});
