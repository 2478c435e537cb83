// bcflow dashboard: sign-in, the header's pickers and the hash router.
import { session, signIn, signOut, forget, get, ApiError } from './api.js';
import { clearCharts } from './ui.js';
import { pages } from './pages.js';

const $ = id => document.getElementById(id);
const state = { stores: [], store: '', channel: 0, days: 30 };
let renderSeq = 0;

function today() {
  return new Date().toISOString().slice(0, 10);
}

/** period is the inclusive UTC day range of the last n days, ending today. */
function period(n) {
  const to = new Date(today() + 'T00:00:00Z');
  const from = new Date(to.getTime() - (n - 1) * 86400000);
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

function setStatus(text) {
  $('status').textContent = text;
  $('main').setAttribute('aria-busy', text ? 'true' : 'false');
}

function setError(text) {
  $('error').textContent = text;
}

function showSignIn(message = '') {
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('signin-token').focus();
}

async function showApp() {
  $('signin').hidden = true;
  $('app').hidden = false;
  const { stores } = await get('/stores');
  state.stores = stores || [];
  const saved = JSON.parse(sessionStorage.getItem('bcflow-picks') || '{}');
  state.store = state.stores.some(s => s.store_hash === saved.store) ? saved.store : (state.stores[0] || {}).store_hash || '';
  state.days = [7, 30, 90].includes(saved.days) ? saved.days : 30;
  fillPickers();
  state.channel = channelsOf(state.store).includes(saved.channel) ? saved.channel : 0;
  $('pick-channel').value = String(state.channel);
  if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = '#/overview';
  else route();
}

function channelsOf(store) {
  return ((state.stores.find(s => s.store_hash === store) || {}).channels) || [];
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function fillPickers() {
  const ps = $('pick-store');
  ps.replaceChildren(...state.stores.map(s => option(s.store_hash, s.store_hash)));
  ps.value = state.store;
  fillChannels();
  $('pick-period').value = String(state.days);
}

function fillChannels() {
  $('pick-channel').replaceChildren(option('0', 'All channels'), ...channelsOf(state.store).map(c => option(String(c), 'Channel ' + c)));
}

function savePicks() {
  sessionStorage.setItem('bcflow-picks', JSON.stringify({ store: state.store, channel: state.channel, days: state.days }));
}

async function route() {
  const seq = ++renderSeq;
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const name = pages[path] ? path : 'overview';
  const page = pages[name];
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === '#/' + name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = page.title + ' · bcflow';
  const p = period(state.days);
  document.querySelector('[data-testid="period-from"]').textContent = p.from;
  document.querySelector('[data-testid="period-to"]').textContent = p.to;
  document.querySelector('[data-testid="period-channel"]').textContent = state.channel ? String(state.channel) : 'all';
  const main = $('main');
  setError('');
  if (!state.store) {
    clearCharts();
    main.replaceChildren();
    setError('No store yet: bcflow has no configured store and no analytics.');
    return;
  }
  setStatus('Loading ' + page.title.toLowerCase() + '…');
  main.dataset.page = name;
  main.dataset.ready = 'false';
  try {
    const nodes = await page.render({ store: state.store, channel: state.channel, ...p, params: new URLSearchParams(query || '') });
    if (seq !== renderSeq) return;
    clearCharts();
    main.replaceChildren(...nodes.filter(Boolean));
    setStatus('');
    // The first page shown with its data: what "first load" measures.
    if (!performance.getEntriesByName('bcflow-ready').length) performance.mark('bcflow-ready');
  } catch (e) {
    if (seq !== renderSeq) return;
    setStatus('');
    if (e instanceof ApiError && e.status === 401) {
      forget();
      showSignIn('Your session ended: sign in again.');
      return;
    }
    clearCharts();
    main.replaceChildren();
    setError('Could not load ' + page.title.toLowerCase() + ': ' + e.message);
  }
  main.dataset.ready = 'true';
}

$('signin-form').addEventListener('submit', async e => {
  e.preventDefault();
  const token = $('signin-token').value;
  if (!token) {
    $('signin-error').textContent = 'Enter the admin token.';
    return;
  }
  $('signin-error').textContent = '';
  try {
    await signIn(token);
    $('signin-token').value = '';
    await showApp();
  } catch (err) {
    $('signin-error').textContent = err.status === 401 ? 'That token is not the admin token.' : 'Sign-in failed: ' + err.message;
    $('signin-token').select();
  }
});

$('signout').addEventListener('click', async () => {
  try { await signOut(); } catch { /* the cookie is gone or expired anyway */ }
  clearCharts();
  $('main').replaceChildren();
  showSignIn('Signed out.');
});

$('pick-store').addEventListener('change', e => {
  state.store = e.target.value;
  state.channel = 0;
  fillChannels();
  savePicks();
  route();
});
$('pick-channel').addEventListener('change', e => {
  state.channel = Number(e.target.value) || 0;
  savePicks();
  route();
});
$('pick-period').addEventListener('change', e => {
  state.days = Number(e.target.value) || 30;
  savePicks();
  route();
});
window.addEventListener('hashchange', () => {
  if (!$('app').hidden) route();
});

(async () => {
  try {
    if (await session()) await showApp();
    else showSignIn();
  } catch (e) {
    showSignIn('bcflow did not answer: ' + e.message);
  }
})();
