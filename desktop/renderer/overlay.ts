/**
 * The overlay window's page: captions from the main process (IPC), drawn with the web client's caption model and
 * view (client/web/), in the language the settings choose. The window ignores the mouse except over the handle:
 * the pointer's position still arrives (forwarded), and reaching the handle asks for the mouse back.
 */
import { CaptionBook } from '../../client/web/captions.ts';
import { CaptionView } from '../../client/web/caption-view.ts';
import type { OverlayConfig } from '../electron/ipc.ts';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const handle = $('handle');
const book = new CaptionBook({ keep: 50 });
const view = new CaptionView($('captions'), $('partial'));
let config: OverlayConfig = { fontSize: 36, lines: 2, lang: null, showPartials: true };

function render(): void {
  const shown = book.view({ lang: config.lang, count: config.lines });
  view.render(config.showPartials ? shown : { ...shown, partial: null });
}

window.earshot.onOverlayConfig((next) => {
  config = next;
  document.documentElement.style.setProperty('--size', `${next.fontSize}px`);
  document.documentElement.style.setProperty('--lines', String(next.lines));
  render();
});

window.earshot.onCaption((event) => {
  if (event.type === 'ready') book.reset(); // a new dictation or subtitles session
  if (book.apply(event)) render();
});

let onHandle = false;
document.addEventListener('mousemove', (event) => {
  const r = handle.getBoundingClientRect();
  const over =
    event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
  if (over === onHandle) return;
  onHandle = over;
  handle.classList.toggle('active', over);
  window.earshot.setClickThrough(!over);
});
document.addEventListener('mouseleave', () => {
  if (!onHandle) return;
  onHandle = false;
  handle.classList.remove('active');
  window.earshot.setClickThrough(true);
});
