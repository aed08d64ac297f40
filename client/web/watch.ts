/**
 * The watch page, `/watch/:session`: follows a session live over `WS /v1/watch/:session`, in the language the
 * viewer picks (the original or one of the session's targets), showing the last few captions. With `?overlay=1`
 * it is a transparent, large-type caption strip for OBS browser sources (options: watch-options.ts).
 * A dropped connection is retried; the server replays the session's history, so nothing is missed.
 */
import { CaptionBook } from './captions.ts';
import { CaptionView, languageName } from './caption-view.ts';
import { parseEvent, socketUrl } from './protocol.ts';
import { parseWatchOptions } from './watch-options.ts';
import { CLOSE } from '../../shared/close-codes.ts';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const els = {
  status: $('status'),
  lang: $('lang') as HTMLSelectElement,
  empty: $('empty'),
  screen: document.querySelector('.screen') as HTMLElement,
};

const options = parseWatchOptions(location.search, (css) => CSS.supports('color', css));
const session = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
const book = new CaptionBook();
const view = new CaptionView($('captions'), $('partial'));
/** The language being read; null until the session says what it has. */
let lang = options.lang;
let ended = false;
let retries = 0;

function applyLook() {
  const root = document.documentElement;
  root.classList.toggle('overlay', options.overlay);
  const size = options.size ?? Number(localStorage.getItem('earshot.watch.size'));
  if (size > 0) root.style.setProperty('--caption-size', `${size}px`);
  if (options.color) root.style.setProperty('--caption-color', options.color);
  if (options.bg) root.style.setProperty('--caption-bg', options.bg);
  root.style.setProperty('--lines', String(options.lines));
  root.style.setProperty('--caption-align', options.align);
}

function setStatus(text: string, state: string): void {
  els.status.textContent = text;
  els.status.dataset.state = state;
}

function render() {
  const shown = book.view({ lang, count: options.lines });
  view.render(options.partials ? shown : { ...shown, partial: null });
  els.empty.hidden = shown.lines.length > 0 || shown.partial !== null;
}

function fillLanguages(source: string, targets: string[]): void {
  const available = [source, ...targets];
  if (!lang || !available.includes(lang)) lang = source;
  els.lang.replaceChildren(
    ...available.map(
      (code, i) =>
        new Option(i === 0 ? `${languageName(code)} (original)` : languageName(code), code, false, code === lang),
    ),
  );
  document.documentElement.lang = lang;
}

function connect() {
  setStatus(retries ? 'Reconnecting…' : 'Connecting…', 'connecting');
  // Protocol v1.1: corrected finals replace their captions in place.
  const ws = new WebSocket(socketUrl(`/v1/watch/${encodeURIComponent(session)}?protocol=1.1`));
  ws.onmessage = (ev) => {
    const event = parseEvent(ev.data);
    if (!event) return;
    if (event.type === 'ready') {
      retries = 0;
      book.reset(); // the history comes again from the start
      fillLanguages(String(event.language ?? ''), Array.isArray(event.targets) ? event.targets.map(String) : []);
      setStatus('Live', 'live');
    } else if (event.type === 'done') {
      ended = true;
      setStatus('Ended', 'done');
    }
    if (book.apply(event)) render();
  };
  ws.onclose = (ev) => {
    if (ev.code === CLOSE.unknownSession) {
      ended = true;
      els.empty.textContent = 'This session does not exist or has expired.';
      return setStatus('Not found', 'error');
    }
    if (ev.code === CLOSE.forbidden) {
      ended = true;
      return setStatus('Not allowed', 'error');
    }
    if (ev.code === CLOSE.idle) {
      ended = true;
      return setStatus('Paused: nothing new for a while; reload to watch again', 'error');
    }
    if (ended) return;
    // Edges restart and networks blink; the history is replayed on reconnect, so nothing is lost.
    const delay = Math.min(10_000, 500 * 2 ** retries++);
    setStatus('Reconnecting…', 'connecting');
    setTimeout(connect, delay);
  };
}

function resize(factor: number): void {
  const current = parseFloat(getComputedStyle(els.screen).fontSize);
  const size = Math.round(Math.min(160, Math.max(16, current * factor)));
  document.documentElement.style.setProperty('--caption-size', `${size}px`);
  localStorage.setItem('earshot.watch.size', String(size));
}

applyLook();
els.lang.addEventListener('change', () => {
  lang = els.lang.value;
  document.documentElement.lang = lang;
  // Keep the choice in the address, so a reload or a shared link reads in the same language.
  const url = new URL(location.href);
  url.searchParams.set('lang', lang);
  history.replaceState(null, '', url);
  render();
});
$('smaller').addEventListener('click', () => resize(1 / 1.15));
$('larger').addEventListener('click', () => resize(1.15));
if (session) connect();
else setStatus('No session in the address', 'error');
