/** The settings page: a form over `window.earshot.getSettings/saveSettings`; the main process validates. */
import type { Settings, SettingsPatch } from '../core/settings.ts';

const form = document.getElementById('form') as HTMLFormElement;
const result = document.getElementById('result') as HTMLElement;
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
const list = (text: string) =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

function fill(s: Settings): void {
  field('serverUrl').value = s.serverUrl;
  field('token').value = s.token;
  field('language').value = s.language;
  field('targets').value = s.targets.join(', ');
  field('microphone').value = s.microphone;
  (form.elements.namedItem('audioSource') as HTMLSelectElement).value = s.audioSource;
  field('systemDevice').value = s.systemDevice;
  field('recorder').value = s.recorder;
  for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="mode"]'))
    radio.checked = radio.value === s.typing.mode;
  field('spokenPunctuation').checked = s.typing.spokenPunctuation;
  field('capitalize').checked = s.typing.capitalize;
  field('dictate').value = s.hotkeys.dictate;
  field('undo').value = s.hotkeys.undo;
  field('overlay').value = s.hotkeys.overlay;
  field('overlayLang').value = s.overlay.lang ?? '';
  field('fontSize').value = String(s.overlay.fontSize);
  field('lines').value = String(s.overlay.lines);
  field('showPartials').checked = s.overlay.showPartials;
}

function read(): SettingsPatch {
  const mode =
    form.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value === 'toggle' ? 'toggle' : 'push-to-talk';
  return {
    serverUrl: field('serverUrl').value.trim(),
    token: field('token').value.trim(),
    language: field('language').value.trim() || 'en',
    targets: list(field('targets').value),
    microphone: field('microphone').value.trim(),
    audioSource: (form.elements.namedItem('audioSource') as HTMLSelectElement).value as Settings['audioSource'],
    systemDevice: field('systemDevice').value.trim(),
    recorder: field('recorder').value.trim(),
    typing: { mode, spokenPunctuation: field('spokenPunctuation').checked, capitalize: field('capitalize').checked },
    hotkeys: { dictate: field('dictate').value, undo: field('undo').value, overlay: field('overlay').value },
    overlay: {
      lang: field('overlayLang').value.trim() || null,
      fontSize: Number(field('fontSize').value),
      lines: Number(field('lines').value),
      showPartials: field('showPartials').checked,
    },
  };
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void window.earshot.saveSettings(read()).then((saved) => {
    result.className = saved.ok ? '' : 'error';
    // Errors name the setting ("hotkeys.dictate: …"), one per line.
    result.textContent = saved.ok ? 'Saved.' : saved.error.split('; ').join('\n');
    if (saved.ok) fill(saved.settings);
  });
});

void window.earshot.getSettings().then(fill);
