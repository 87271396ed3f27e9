// Sign-in and the frame: the user, the programmes, the views of the role.
import { state } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc } from '../core/format.js';
import { api } from '../core/api.js';
import { route } from '../core/router.js';
import { VIEWS, can } from '../core/permissions.js';
import { live } from '../core/live.js';

export function signInView(message = '') {
  $('#controls').hidden = true;
  $('#nav').innerHTML = '';
  const main = $('#main');
  main.replaceChildren(h(`<form class="card signin" id="signin">
      <h2>Sign in</h2>
      <label>Token <input id="token" type="password" autocomplete="off" required></label>
      <button type="submit">Sign in</button>
      ${message ? `<p class="error" role="alert">${esc(message)}</p>` : ''}
    </form>`));
  $('#signin').addEventListener('submit', async (e) => {
    e.preventDefault();
    state.token = $('#token').value.trim();
    try {
      await start();
    } catch (err) {
      state.token = '';
      sessionStorage.removeItem('ledger-token');
      signInView(err.status === 401 ? 'This token is not known.' : err.message);
    }
  });
  $('#token').focus();
}

export async function start() {
  state.me = await api('/v1/me', { asOf: false });
  sessionStorage.setItem('ledger-token', state.token);
  $('#who').textContent = `${state.me.name} (${state.me.role}${state.me.mentor_id ? ' ' + state.me.mentor_id : ''})`;
  const progs = (await api('/v1/programmes', { asOf: false })).programmes;
  const sel = $('#programme');
  sel.innerHTML = progs.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`).join('');
  state.programme = sessionStorage.getItem('ledger-programme') || (progs[0] && progs[0].id) || '';
  if (!progs.some((p) => p.id === state.programme) && progs[0]) state.programme = progs[0].id;
  sel.value = state.programme;
  $('#controls').hidden = false;
  $('#nav').innerHTML = can.views().map((v) => `<a href="#${v}" data-view="${v}">${VIEWS[v]}</a>`).join('');
  if (!location.hash || !can.views().includes(location.hash.slice(1).split('/')[0])) location.hash = '#' + can.views()[0];
  else route();
  live();
}
