import { createHash } from 'node:crypto';

/**
 * The interim control-room page: one self-contained HTML document, no build step. Login, then a
 * device table and the dead-letter count refreshed every 2 s. Everything from the API is put in
 * the page with textContent (never innerHTML), and a Content-Security-Policy allows exactly this
 * inline script and style (by hash) and requests to this origin.
 */
const STYLE = `
:root { color-scheme: dark; --bg: #11151c; --panel: #1a202b; --line: #2a3342; --text: #d8dee9;
  --dim: #8792a2; --ok: #3fb950; --bad: #f85149; --unknown: #8792a2; --accent: #58a6ff; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, sans-serif; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 16px; background: var(--panel);
  border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0; flex: 1; }
.stat { color: var(--dim); } .stat b { color: var(--text); }
main { padding: 16px; }
form.login { max-width: 320px; margin: 12vh auto; padding: 24px; background: var(--panel);
  border: 1px solid var(--line); border-radius: 8px; display: grid; gap: 10px; }
input, button { font: inherit; padding: 7px 10px; border-radius: 6px; border: 1px solid var(--line);
  background: var(--bg); color: var(--text); }
button { background: var(--accent); color: #0b1220; border: 0; cursor: pointer; font-weight: 600; }
button.quiet { background: transparent; color: var(--text); border: 1px solid var(--line); }
.error { color: var(--bad); min-height: 1.4em; margin: 0; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--dim); font-weight: 500; position: sticky; top: 0; background: var(--bg); }
td.values { font-family: ui-monospace, monospace; font-size: 12px; color: var(--dim); }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
.on { background: var(--ok); } .off { background: var(--bad); } .unknown { background: var(--unknown); }
.toolbar { display: flex; gap: 10px; margin-bottom: 10px; align-items: center; }
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
let timer = null;
function show(loggedIn) {
  $('login').hidden = loggedIn; $('board').hidden = !loggedIn; $('logout').hidden = !loggedIn;
  clearInterval(timer); timer = null;
  if (loggedIn) { refresh(); timer = setInterval(refresh, 2000); }
}
function ago(ts) {
  if (ts === null) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : new Date(ts).toLocaleString();
}
function cell(text, cls) {
  const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td;
}
function row(d) {
  const tr = document.createElement('tr');
  const state = d.online === true ? 'on' : d.online === false ? 'off' : 'unknown';
  const online = cell(state === 'on' ? 'online' : state === 'off' ? 'offline' : 'unknown');
  const dot = document.createElement('span'); dot.className = 'dot ' + state; online.prepend(dot);
  online.title = d.reason;
  const values = Object.entries(d.values).map(([k, v]) => k + '=' + (v.value === null ? '(' + v.quality + ')' : v.value));
  tr.append(cell(d.id), cell(d.kind), cell(d.name), online, cell(ago(d.lastSeen)), cell(values.join('  '), 'values'));
  return tr;
}
async function api(path, options) {
  const res = await fetch(path, { credentials: 'same-origin', ...options });
  if (res.status === 401 && path !== '/api/login') { show(false); throw new Error('logged out'); }
  return res;
}
async function refresh() {
  try {
    const [devices, dead] = await Promise.all([
      api('/api/devices').then((r) => r.json()),
      api('/api/dead-letters?limit=1').then((r) => r.json()),
    ]);
    const filter = $('filter').value.trim().toLowerCase();
    const shown = filter ? devices.filter((d) => (d.id + ' ' + d.name + ' ' + d.kind).toLowerCase().includes(filter)) : devices;
    $('rows').replaceChildren(...shown.slice(0, 1000).map(row));
    $('count').textContent = shown.length > 1000 ? '1000 of ' + shown.length : String(shown.length);
    $('online').textContent = String(devices.filter((d) => d.online === true).length);
    $('dead').textContent = String(dead.total);
    $('updated').textContent = new Date().toLocaleTimeString();
  } catch (err) { if (err.message !== 'logged out') $('updated').textContent = 'update failed'; }
}
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  const body = JSON.stringify({ username: $('username').value, password: $('password').value });
  const res = await api('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (res.ok) { $('password').value = ''; show(true); }
  else $('login-error').textContent = (await res.json()).error?.message ?? 'login failed';
});
$('logout').addEventListener('click', async () => { await fetch('/api/logout', { method: 'POST' }); show(false); });
$('filter').addEventListener('input', refresh);
fetch('/api/session').then((r) => show(r.ok), () => show(false));
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface RenderedPage {
  html: string;
  contentSecurityPolicy: string;
}

export function renderPage(options: { site: string }): RenderedPage {
  const site = escapeHtml(options.site);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>community-gateway</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>community-gateway <span class="stat">· ${site}</span></h1>
  <span class="stat">devices online <b id="online">–</b></span>
  <span class="stat">dead letters <b id="dead">–</b></span>
  <button id="logout" class="quiet" hidden>Log out</button>
</header>
<main>
  <form id="login" class="login" hidden>
    <strong>Log in</strong>
    <input id="username" name="username" autocomplete="username" placeholder="username" required>
    <input id="password" name="password" type="password" autocomplete="current-password" placeholder="password" required>
    <button type="submit">Log in</button>
    <p id="login-error" class="error" role="alert"></p>
  </form>
  <section id="board" hidden>
    <div class="toolbar">
      <input id="filter" type="search" placeholder="filter by id, name or kind">
      <span class="stat">showing <b id="count">–</b> · updated <b id="updated">–</b></span>
    </div>
    <table>
      <thead><tr><th>id</th><th>kind</th><th>name</th><th>online</th><th>last seen</th><th>latest values</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
