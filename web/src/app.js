// The dashboard over the ledger's HTTP API: pairs, mentees, applications and
// matching for coordinators, budget and hours for finance staff, audit for
// auditors, the control of spending (samples, verification, findings and
// corrections, evidence documents) for controllers, tours and joint meetings,
// the rules and their amendments; every figure opens the events it was summed
// from. The token lives in session storage.
//
// This module is the entry (web/build.mjs bundles from it): it renders the view
// the hash names and wires the frame. Each view is a module of views/; what
// several share is in core/: the state (state.js), the page (dom.js), text and
// markup (format.js), the API client (api.js), the router (router.js), roles
// (permissions.js), forms (forms.js), explained figures (explain.js), evidence
// documents (evidence.js) and the live feed (live.js). tlog.js checks the
// signed log, in the page and in node's tests.
import { state } from './core/state.js';
import { $, h } from './core/dom.js';
import { esc } from './core/format.js';
import { setRender, route } from './core/router.js';
import { can } from './core/permissions.js';
import { wireExplain, figureMark, forgetFiguresBefore } from './core/explain.js';
import { wireEvidenceLinks } from './core/evidence.js';
import { live, stopLive } from './core/live.js';
import { signInView, start } from './views/signin.js';
import { pairsView } from './views/pairs.js';
import { pairView } from './views/pair.js';
import { invoiceView } from './views/invoice.js';
import { controlView } from './views/control.js';
import { statementView } from './views/statement.js';
import { budgetView } from './views/budget.js';
import { applicationsView } from './views/applications.js';
import { menteesView } from './views/mentees.js';
import { matchingView } from './views/matching.js';
import { toursView } from './views/tours.js';
import { rulesView } from './views/rules.js';
import { hoursView } from './views/hours.js';
import { auditView } from './views/audit.js';

// The view the hash names, into #main (the pairs when it names no view this
// role may see); a token refused goes back to the sign-in.
async function render() {
  if (!state.me) return;
  const [view, arg] = location.hash.slice(1).split('/');
  document.querySelectorAll('#nav a').forEach((a) => a.toggleAttribute('aria-current', a.dataset.view === view) && a.setAttribute('aria-current', 'page'));
  state.charts.forEach((c) => c.destroy());
  state.charts = [];
  const mark = figureMark();
  const main = $('#main');
  const allowed = (v) => can.views().includes(v);
  try {
    if (view === 'pair' && arg) await pairView(main, decodeURIComponent(arg));
    else if (view === 'invoice' && arg) await invoiceView(main, decodeURIComponent(arg));
    else if (view === 'control' && allowed(view)) await controlView(main, arg ? decodeURIComponent(arg) : '');
    else if (view === 'statement' && arg) await statementView(main, decodeURIComponent(arg));
    else if (view === 'budget' && allowed(view)) await budgetView(main);
    else if (view === 'audit' && allowed(view)) await auditView(main);
    else if (view === 'mentees' && allowed(view)) await menteesView(main);
    else if (view === 'applications' && allowed(view)) await applicationsView(main);
    else if (view === 'matching' && allowed(view)) await matchingView(main, arg ? decodeURIComponent(arg) : '');
    else if (view === 'tours' && allowed(view)) await toursView(main);
    else if (view === 'hours' && allowed(view)) await hoursView(main);
    else if (view === 'rules' && allowed(view)) await rulesView(main);
    else await pairsView(main);
  } catch (err) {
    if (err.status === 401) return signInView('The token is no longer valid.');
    main.replaceChildren(h(`<p class="error" role="alert">${esc(err.message)}</p>`));
  } finally {
    forgetFiguresBefore(mark);
  }
}
setRender(render);

// ---- wiring

wireExplain();
wireEvidenceLinks();
window.addEventListener('hashchange', route);
$('#programme').addEventListener('change', (e) => {
  state.programme = e.target.value;
  sessionStorage.setItem('ledger-programme', state.programme);
  route();
});
$('#explain').addEventListener('close', () => {
  if (live.pending && !state.asOf) { live.pending = false; route(); }
});
$('#asof').addEventListener('change', (e) => { state.asOf = e.target.value; route(); });
$('#asof-clear').addEventListener('click', () => { state.asOf = ''; $('#asof').value = ''; route(); });
$('#signout').addEventListener('click', () => {
  sessionStorage.removeItem('ledger-token');
  state.token = '';
  state.me = null;
  stopLive();
  location.hash = '';
  signInView();
});

if (state.token) start().catch(() => signInView('Please sign in again.'));
else signInView();
