import { escapeHtml, htmlPage } from '../shared/html';
import type { ReceivedMail } from './state';

/**
 * The HTML body is shown in an iframe with `sandbox` (no scripts, no forms, no same-origin) and
 * `srcdoc`, escaped as an attribute value: the mail's markup can neither run nor reach this page.
 * Links open in a new tab, so a link in a mail (Extend, Close) can still be followed.
 */
function htmlBody(mail: ReceivedMail): string {
  if (mail.html === null) return '';
  // After any doctype: markup before it would put the document in quirks mode.
  const doc = mail.html.replace(/^(\s*<!doctype[^>]*>)?/i, (doctype) => `${doctype}<base target="_blank">`);
  return `<h3>HTML</h3><iframe class="html" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="HTML body of ${escapeHtml(mail.subject)}" srcdoc="${escapeHtml(doc)}"></iframe>`;
}

function mailHtml(mail: ReceivedMail): string {
  const replyTo = mail.replyTo ? `<dt>Reply-To</dt><dd>${escapeHtml(mail.replyTo)}</dd>` : '';
  return `<article class="card mail" id="${escapeHtml(mail.id)}">
<h2>${escapeHtml(mail.subject || '(no subject)')}</h2>
<dl><dt>Date</dt><dd><time datetime="${escapeHtml(mail.date)}">${escapeHtml(mail.date.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time></dd>
<dt>From</dt><dd>${escapeHtml(mail.from)}</dd><dt>To</dt><dd>${escapeHtml(mail.to.join(', '))}</dd>${replyTo}</dl>
${htmlBody(mail)}<h3>Text</h3><pre class="text">${escapeHtml(mail.text)}</pre></article>`;
}

const STYLE = `<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{max-width:50rem}.mail h2{margin:.2rem 0 .5rem;font-size:1.15rem;overflow-wrap:anywhere}
.mail h3{font-size:.75rem;text-transform:uppercase;color:#616061;margin:.8rem 0 .2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .7rem;margin:0;font-size:.9rem}
dt{color:#616061}dd{margin:0;overflow-wrap:anywhere}
pre.text{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f8f8;padding:.5rem;border-radius:4px;margin:0;font-size:.85rem}
iframe.html{width:100%;height:22rem;border:1px solid #ddd;border-radius:4px;resize:vertical;background:#fff}
@media (max-width:40rem){body{margin:.6rem}.card{padding:.5rem}}
</style>`;

/** Polls the version and reloads when mail arrives or the inbox is cleared. */
function script(nonce: string): string {
  return `<script nonce="${nonce}">
const version = document.body.dataset.version;
document.getElementById('clear').addEventListener('click', async () => { await fetch('/_emulator/reset', { method: 'POST' }); location.reload(); });
setInterval(async () => {
  try {
    const state = await (await fetch('/_emulator/state')).json();
    if (String(state.version) !== version) location.reload();
  } catch {}
}, 1500);
</script>`;
}

export interface PageInput {
  messages: ReceivedMail[];
  version: number;
  smtpAddress: string;
  to?: string;
  nonce: string;
}

/** Every received message, newest first. */
export function renderInbox({ messages, version, smtpAddress, to, nonce }: PageInput): string {
  const newestFirst = [...messages].reverse();
  const filter = to ? ` for <b>${escapeHtml(to)}</b> (<a href="/">all</a>)` : '';
  const body = `<h1>SMTP emulator</h1>
<p class="meta">SMTP on <code>${escapeHtml(smtpAddress)}</code> · ${messages.length} message${messages.length === 1 ? '' : 's'}${filter} · <a href="/_emulator/messages">JSON</a> · <button id="clear" type="button">Delete all</button></p>
${newestFirst.map(mailHtml).join('\n') || '<p>No mail yet. This page reloads when some arrives.</p>'}${script(nonce)}`;
  return htmlPage('SMTP emulator', body, STYLE).replace('<body>', `<body data-version="${version}">`);
}
