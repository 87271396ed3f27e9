// Forms: a submission recorded, then the view rendered again, or the refusal
// said in the form; and the values forms are filled with.
import { toast } from './dom.js';
import { esc } from './format.js';
import { route } from './router.js';

export function formErrors(form, err) {
  let box = form.querySelector('.error');
  if (!box) { box = document.createElement('p'); box.className = 'error'; box.setAttribute('role', 'alert'); form.append(box); }
  // Four eyes: the same person may not check their own entry; said as such.
  box.classList.toggle('four-eyes', err?.code === 'four_eyes');
  if (err?.code === 'four_eyes') {
    box.innerHTML = `<b>Refused by the four-eyes rule</b> (four_eyes): ${esc(err.message)}`;
    return;
  }
  box.textContent = err ? `${err.code ? err.code + ': ' : ''}${err.message}` : '';
}

export function onSubmit(form, fn) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formErrors(form, null);
    try {
      await fn(new FormData(form));
      toast('Recorded');
      await route();
    } catch (err) {
      formErrors(form, err);
    }
  });
}

export const isoToday = () => new Date().toISOString().slice(0, 10);
export const topicsOf = (text) => String(text || '').split(',').map((t) => t.trim()).filter(Boolean);
export const cents = (eur) => Math.round(Number(eur) * 100);
// The next free id of the form <prefix><number>, the number as wide as the widest in use.
export function nextId(ids, prefix, width = 2) {
  let n = 0;
  for (const id of ids) {
    const m = id.startsWith(prefix) ? /^(\d+)$/.exec(id.slice(prefix.length)) : null;
    if (m) { n = Math.max(n, Number(m[1])); width = Math.max(width, m[1].length); }
  }
  return prefix + String(n + 1).padStart(width, '0');
}
