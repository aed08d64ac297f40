// @ts-check
/**
 * The speaker page: the microphone streams to `WS /v1/realtime`, captions appear as they form (the partial in
 * grey italics, replaced by its final), translations under each final, and a share link opens the watch page.
 *
 * Query parameters: `language`, `targets` (comma-separated) preselect the pickers; `maxSeconds=N` stops after
 * N seconds of audio (for kiosks, demos and tests with a looping fake microphone); `token` is a token minted
 * elsewhere. With auth on and no `token`, the page asks for an API key (see credentials.js).
 */
import { CaptionBook } from './captions.js';
import { CaptionView, languageName } from './caption-view.js';
import { authRequired, bearerProtocols, exchangeKey, KeyRefused, saveKey, savedKey } from './credentials.js';
import { openMic } from './mic.js';
import { COMMON_LANGUAGES, parseEvent, socketUrl } from './protocol.js';

const SAMPLE_RATE = 16000;
/** Unsent audio past which the page warns that the network is not keeping up (the mic cannot slow down). */
const SLOW_NETWORK_BYTES = 512 * 1024;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const els = {
  status: $('status'),
  language: /** @type {HTMLSelectElement} */ ($('language')),
  targets: $('targets'),
  toggle: /** @type {HTMLButtonElement} */ ($('toggle')),
  toggleLabel: $('toggle-label'),
  level: $('level'),
  notice: $('notice'),
  share: $('share'),
  shareLink: /** @type {HTMLInputElement} */ ($('share-link')),
  copy: /** @type {HTMLButtonElement} */ ($('copy')),
  overlayLink: /** @type {HTMLAnchorElement} */ ($('overlay-link')),
  empty: $('empty'),
  auth: $('auth'),
  apiKey: /** @type {HTMLInputElement} */ ($('api-key')),
};

const params = new URLSearchParams(location.search);
const maxSamples = Number(params.get('maxSeconds')) > 0 ? Number(params.get('maxSeconds')) * SAMPLE_RATE : Infinity;
/** A token in the page's address is sent as `?token=` (socketUrl); the page then needs no key. */
const pageToken = params.get('token');
const saved = { language: localStorage.getItem('earshot.language'), targets: localStorage.getItem('earshot.targets') };

const book = new CaptionBook();
const view = new CaptionView($('captions'), $('partial'));

/** @type {'idle' | 'starting' | 'live' | 'finishing'} */
let state = 'idle';
/** @type {WebSocket | null} */
let socket = null;
/** @type {import('./mic.js').Mic | null} */
let mic = null;
let samplesSent = 0;

/**
 * What the server can do (GET /v1/capabilities): the languages it transcribes and, per spoken language, the ones it
 * translates into. Without it (an older server) the page offers a common list and the server drops what it cannot do.
 * @type {{ stt: { languages: string[] }, mt: { targets: Record<string, { language: string, via?: string }[]> } } | null}
 */
let capabilities = null;

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
function renderTargets(chosen = new Set(chosenTargets())) {
  /** @type {{ language: string, via?: string }[]} */
  const offered = capabilities ? (capabilities.mt.targets[els.language.value] ?? []) : COMMON_LANGUAGES.map((language) => ({ language }));
  els.targets.replaceChildren();
  for (const { language: code, via } of offered) {
    const label = document.createElement('label');
    label.className = 'chip';
    if (via) label.title = `translated through ${languageName(via)}`;
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: code, checked: chosen.has(code) });
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

/** The subprotocols that authenticate a new socket: a fresh token from the key when the server needs one. */
async function credentials() {
  if (pageToken || els.auth.hidden) return [];
  return bearerProtocols(await exchangeKey(els.apiKey.value.trim()));
}

function chosenTargets() {
  return [...els.targets.querySelectorAll('input')].filter((b) => b.checked && !b.disabled).map((b) => b.value);
}

/** @param {typeof state} next @param {string} label @param {string} [dataState] */
function setState(next, label, dataState = next) {
  state = next;
  els.status.textContent = label;
  els.status.dataset.state = dataState;
  const live = next === 'live';
  els.toggle.setAttribute('aria-pressed', String(live));
  els.toggle.disabled = next === 'starting' || next === 'finishing';
  els.toggleLabel.textContent = live ? 'Stop' : next === 'finishing' ? 'Finishing…' : next === 'starting' ? 'Starting…' : 'Start';
  syncTargets();
}

/** @param {string} text @param {'info' | 'error'} [kind] */
function notify(text, kind = 'info') {
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
/** Close code of a session taken over by a newer connection (REALTIME_CLOSE.conflict in shared/protocol.ts). */
const SESSION_CONFLICT = 4409;

/** The session being spoken: what a reconnect needs to resume it. */
let session = /** @type {{ id: string, language: string, targets: string[] } | null} */ (null);
/**
 * Audio the server has not acknowledged (protocol v1.1 `ack`), with its sample offset: after a dropped connection
 * it is sent again from the server's `resume_from`, so the transcript loses nothing.
 * @type {{ offset: number, pcm: Int16Array<ArrayBuffer> }[]}
 */
let unacked = [];
/** Whether the current socket has its `ready` (audio may flow live). */
let streaming = false;
let reconnects = 0;

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
  unacked = [];
  session = null;
  reconnects = 0;
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
  void open({ language, targets });
}

/**
 * Opens the socket: a new session, or (after a drop) the same one resumed where the server's audio ends.
 * @param {{ language: string, targets: string[] }} request
 */
async function open(request) {
  const resuming = session !== null;
  const url = new URL(socketUrl('/v1/realtime'));
  if (session) url.searchParams.set('session', session.id);
  let protocols;
  try {
    protocols = await credentials();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof KeyRefused || !session || reconnects >= MAX_RECONNECTS) {
      void releaseMic();
      setState('idle', 'Ready');
      return notify(err instanceof KeyRefused ? `The API key was not accepted: ${message}` : `Cannot reach the server: ${message}`, 'error');
    }
    reconnects += 1; // the network is down mid-session: try again, as for a dropped socket
    setTimeout(() => void open(request), Math.min(2000, 100 * 2 ** Math.min(reconnects, 5)));
    return;
  }
  if (state === 'idle') return; // stopped while the token was on its way
  const ws = new WebSocket(url.href, protocols);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  streaming = false;
  let refused = false;
  ws.onopen = () => {
    const resume = session ? { session: session.id, last_seq: book.completeThrough(session.targets) } : {};
    ws.send(JSON.stringify({ type: 'start', language: request.language, targets: request.targets, sample_rate: SAMPLE_RATE, encoding: 'pcm16', protocol: 1.1, ...resume }));
  };
  ws.onmessage = (ev) => {
    if (socket !== ws) return;
    const event = parseEvent(ev.data);
    if (!event) return;
    if (event.type === 'ready') {
      reconnects = 0;
      if (!resuming) {
        session = { id: String(event.session), language: request.language, targets: /** @type {string[]} */ (event.targets ?? []) };
        showShare(session.id, typeof event.watch_token === 'string' ? event.watch_token : '');
      } else notify('');
      if (state === 'starting' || resuming) setState(state === 'finishing' ? 'finishing' : 'live', state === 'finishing' ? 'Finishing…' : 'Live');
      replay(ws, Math.round(Number(event.resume_from ?? 0) * SAMPLE_RATE));
      streaming = true;
      if (state === 'finishing') ws.send(JSON.stringify({ type: 'stop' }));
    } else if (event.type === 'ack') {
      forget(Math.round(Number(event.audio_end) * SAMPLE_RATE));
    } else if (event.type === 'error') {
      const fatal = !streaming && event.code !== 'unsupported_target';
      notify(String(event.message), fatal ? 'error' : 'info');
      if (event.code === 'unauthorized' && !pageToken) {
        askForKey();
        notify(`This server needs an API key: enter it above, then press Start. (${event.message})`, 'error');
      }
      if (fatal) {
        refused = true;
        ws.close();
      }
    } else if (event.type === 'done') {
      setState('idle', 'Done', 'done');
    }
    if (book.apply(event)) render();
  };
  ws.onclose = (ev) => {
    if (socket !== ws) return;
    socket = null;
    streaming = false;
    if (state === 'idle') return;
    // The same key's newer connection (another tab or device) took the session over: reconnecting would take it back.
    if (ev.code === SESSION_CONFLICT && ev.reason === 'session_replaced') refused = true;
    if (session && !refused && reconnects < MAX_RECONNECTS) {
      // The network dropped (or the edge went away): keep capturing, and resume the session on a new socket.
      reconnects += 1;
      setState(state, 'Reconnecting…', 'reconnecting');
      setTimeout(() => void open(request), Math.min(2000, 100 * 2 ** Math.min(reconnects, 5)));
      return;
    }
    void releaseMic();
    setState('idle', 'Disconnected', 'error');
    if (els.notice.hidden) notify('The connection to the server was lost.', 'error');
  };
}

/** Sends the kept audio from `from` (a sample offset), after a (re)start. @param {WebSocket} ws @param {number} from */
function replay(ws, from) {
  for (const chunk of unacked) {
    const end = chunk.offset + chunk.pcm.length;
    if (end <= from) continue;
    ws.send(chunk.offset >= from ? chunk.pcm : chunk.pcm.subarray(from - chunk.offset));
  }
}

/** The server secured audio up to `upTo` samples: it will not ask for it again. @param {number} upTo */
function forget(upTo) {
  while (unacked.length > 0 && /** @type {{ offset: number, pcm: Int16Array }} */ (unacked[0]).offset + /** @type {{ offset: number, pcm: Int16Array }} */ (unacked[0]).pcm.length <= upTo) unacked.shift();
}

/** @param {Int16Array<ArrayBuffer>} pcm */
function send(pcm) {
  const room = maxSamples - samplesSent;
  const frame = room < pcm.length ? pcm.subarray(0, Math.max(0, room)) : pcm;
  if (frame.length > 0) {
    unacked.push({ offset: samplesSent, pcm: frame });
    if (streaming && socket?.readyState === WebSocket.OPEN) socket.send(frame);
  }
  samplesSent += frame.length;
  if (socket && socket.bufferedAmount > SLOW_NETWORK_BYTES) notify('The network is not keeping up; captions will lag.', 'error');
  if (samplesSent >= maxSamples) stop();
}

function stop() {
  if (state !== 'live') return;
  setState('finishing', 'Finishing…');
  void releaseMic();
  // The server finishes the last utterance and its translations, then says `done` (a reconnect repeats the stop).
  if (streaming) socket?.send(JSON.stringify({ type: 'stop' }));
}

async function releaseMic() {
  const m = mic;
  mic = null;
  els.level.style.width = '0';
  await m?.close().catch(() => undefined);
}

/**
 * The share link; with auth on it carries the server's watch token for this one session.
 * @param {string} session @param {string} token
 */
function showShare(session, token) {
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
window.addEventListener('pagehide', () => socket?.close());
