import { createHash } from 'node:crypto';
import { Router } from 'express';
import { escapeHtml, htmlPage } from '../shared/html';
import type { Conversation, SlackState, SlackView } from './state';

type Obj = Record<string, unknown>;

function textOf(value: unknown): string {
  if (!value) return '';
  if (typeof value === 'string') return value;
  return String((value as Obj).text ?? '');
}

/** Shows a Slack user id as a name (set per page render). */
type Names = (userId: string) => string;

/**
 * mrkdwn-ish: *bold*, `code`, and Slack's angle-bracket tokens: <@U…> mentions, <!date^…|fallback>,
 * <#C…|name> and <url|label> links. Tokens become placeholders (U+2063, invisible) first, so *<…>* still bolds.
 */
function mrkdwn(text: string, names: Names = (id) => id): string {
  const tokens: string[] = [];
  const placeheld = text.replace(/<([^<>\n]+)>/g, (whole, inner: string) => {
    const [target = '', label] = inner.split('|');
    let html: string;
    if (target.startsWith('@')) html = `<b class="mention">@${escapeHtml(names(target.slice(1)))}</b>`;
    else if (target.startsWith('!date^')) html = escapeHtml(label ?? target);
    else if (target.startsWith('#')) html = `<b>#${escapeHtml(label ?? target.slice(1))}</b>`;
    else if (/^https?:\/\//.test(target)) html = `<a href="${escapeHtml(target)}" target="_blank" rel="noreferrer">${escapeHtml(label ?? target)}</a>`;
    else html = escapeHtml(whole);
    tokens.push(html);
    return `\u2063${tokens.length - 1}\u2063`;
  });
  return escapeHtml(placeheld)
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/\u2063(\d+)\u2063/g, (_m, i: string) => tokens[Number(i)] ?? '');
}

/** A modal's input element as a working form control; its value is what the page submits. */
function inputHtml(view: SlackView, block: Obj): string {
  const element = (block.element ?? {}) as Obj;
  const blockId = String(block.block_id ?? '');
  const actionId = String(element.action_id ?? '');
  const current = (view.state.values[blockId]?.[actionId] ?? {}) as Obj;
  const attrs = `data-view="${escapeHtml(view.id)}" data-block="${escapeHtml(blockId)}" data-input="${escapeHtml(actionId)}"`;
  const error = view.errors?.[blockId] ? `<div class="error">${escapeHtml(view.errors[blockId])}</div>` : '';
  const hint = block.hint ? `<div class="meta">${escapeHtml(textOf(block.hint))}</div>` : '';
  const label = `<b>${escapeHtml(textOf(block.label))}</b>${block.optional ? ' <span class="meta">(optional)</span>' : ''}<br>`;
  if (element.type === 'static_select') {
    const options = (element.options ?? []) as Obj[];
    const chosen = String(((current.selected_option ?? element.initial_option ?? {}) as Obj).value ?? '');
    const optionHtml = options
      .map((o) => `<option value="${escapeHtml(o.value)}"${String(o.value) === chosen ? ' selected' : ''}>${escapeHtml(textOf(o.text))}</option>`)
      .join('');
    return `<div class="block">${label}<select ${attrs} data-kind="static_select"><option value="">${escapeHtml(textOf(element.placeholder) || 'Choose…')}</option>${optionHtml}</select>${hint}${error}</div>`;
  }
  if (element.type === 'plain_text_input') {
    const value = escapeHtml(current.value ?? element.initial_value ?? '');
    const placeholder = escapeHtml(textOf(element.placeholder));
    const control = element.multiline
      ? `<textarea ${attrs} rows="3" cols="60" placeholder="${placeholder}">${value}</textarea>`
      : `<input ${attrs} size="40" placeholder="${placeholder}" value="${value}">`;
    return `<div class="block">${label}${control}${hint}${error}</div>`;
  }
  return `<div class="block">${label}<span class="meta">(${escapeHtml(element.type)})</span>${error}</div>`;
}

function buttonHtml(element: Obj, blockId: string, channel: string, ts: string): string {
  if (element.type !== 'button') return `<span class="meta">[${escapeHtml(element.type)}: ${escapeHtml(element.action_id)}]</span>`;
  const style = element.style === 'primary' ? 'primary' : element.style === 'danger' ? 'danger' : '';
  return `<button class="${style}" data-channel="${escapeHtml(channel)}" data-ts="${escapeHtml(ts)}" data-block="${escapeHtml(blockId)}" data-action="${escapeHtml(element.action_id)}" data-value="${escapeHtml(element.value ?? '')}">${escapeHtml(textOf(element.text))}</button>`;
}

/** Renders blocks simply; buttons are live when the message can be acted on (channel + ts). */
export function renderBlocks(blocks: unknown[] | undefined, channel = '', ts = '', names?: Names, view?: SlackView): string {
  return ((blocks ?? []) as Obj[])
    .map((block) => {
      const blockId = String(block.block_id ?? '');
      const live = (element: Obj) => (channel && ts ? buttonHtml(element, blockId, channel, ts) : `<span class="meta">[${escapeHtml(textOf(element.text))}]</span>`);
      switch (block.type) {
        case 'header':
          return `<h3>${escapeHtml(textOf(block.text))}</h3>`;
        case 'divider':
          return '<hr>';
        case 'section': {
          const fields = ((block.fields ?? []) as Obj[]).map((field) => `<div>${mrkdwn(textOf(field), names)}</div>`).join('');
          const accessory = block.accessory ? live(block.accessory as Obj) : '';
          return `<div class="block">${mrkdwn(textOf(block.text), names)}${fields}${accessory}</div>`;
        }
        case 'context':
          return `<div class="block meta">${((block.elements ?? []) as Obj[]).map((element) => mrkdwn(textOf(element), names)).join(' · ')}</div>`;
        case 'actions':
          return `<div class="block">${((block.elements ?? []) as Obj[]).map(live).join('')}</div>`;
        case 'input':
          if (view) return inputHtml(view, block);
          return `<div class="block"><b>${escapeHtml(textOf(block.label))}</b> <span class="meta">(${escapeHtml((block.element as Obj | undefined)?.type)})</span></div>`;
        default:
          return `<div class="block meta">[${escapeHtml(block.type)} block]</div>`;
      }
    })
    .join('');
}

function conversationTitle(state: SlackState, conversation: Conversation): string {
  if (conversation.name) return `#${conversation.name}`;
  const other = conversation.user ? state.users.get(conversation.user) : undefined;
  return `DM with ${other ? `${other.real_name} (${other.profile.email ?? other.id})` : conversation.user}`;
}

function conversationHtml(state: SlackState, conversation: Conversation): string {
  const who = (id: string) => state.users.get(id)?.real_name ?? id;
  const names = (id: string) => state.users.get(id)?.name ?? id;
  // With blocks, Slack shows the blocks; the text is only the notification fallback.
  const body = (message: { text: string; blocks?: unknown[] }, channel = '', ts = '') =>
    message.blocks?.length ? renderBlocks(message.blocks, channel, ts, names) : `<div class="block">${mrkdwn(message.text, names)}</div>`;
  const messages = conversation.messages.map(
    (message) => `<div class="card"><div class="meta">${escapeHtml(who(message.user))} · ts ${escapeHtml(message.ts)}${message.edited ? ' · edited' : ''}</div>
${body(message, conversation.id, message.ts)}</div>`,
  );
  const ephemeral = conversation.ephemeral.map(
    (message) => `<div class="card ephemeral"><div class="meta">only visible to ${escapeHtml(who(message.user))} · ts ${escapeHtml(message.ts)}</div>
${body(message)}</div>`,
  );
  return `<h2>${escapeHtml(conversationTitle(state, conversation))} <span class="meta">${escapeHtml(conversation.id)}</span></h2>${[...messages, ...ephemeral].join('') || '<p class="meta">No messages.</p>'}`;
}

function viewHtml(state: SlackState, view: SlackView): string {
  const who = state.users.get(view.user)?.real_name ?? view.user;
  const names = (id: string) => state.users.get(id)?.name ?? id;
  const submit = textOf(view.submit);
  return `<div class="card modal"><div class="meta">modal ${escapeHtml(view.id)} (${escapeHtml(view.callback_id)}) open for ${escapeHtml(who)}</div>
<h3>${escapeHtml(textOf(view.title))}</h3>${renderBlocks(view.blocks, '', '', names, view)}
${submit ? `<button class="primary" data-submit="${escapeHtml(view.id)}">${escapeHtml(submit)}</button>` : ''}<button data-close="${escapeHtml(view.id)}">${escapeHtml(textOf(view.close) || 'Close')}</button></div>`;
}

const SCRIPT = `<script>
const actor = document.getElementById('actor');
if (localStorage.actor && [...actor.options].some(o => o.value === localStorage.actor)) actor.value = localStorage.actor;
actor.onchange = () => { localStorage.actor = actor.value; };
const status = document.getElementById('status');
let dirty = false; // typing in a modal: don't reload under the user's hands
document.addEventListener('input', () => { dirty = true; });
const post = async (path, body) => {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { response, result: await response.json() };
};
document.getElementById('command').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  status.textContent = 'Sending…';
  const { response, result } = await post('/_emulator/commands', { user: actor.value, command: form.command.value, text: form.text.value });
  status.textContent = response.ok ? 'App answered HTTP ' + result.status : 'Error: ' + result.error;
});
document.addEventListener('click', async (event) => {
  const submit = event.target.closest('button[data-submit], button[data-close]');
  if (submit) {
    const viewId = submit.dataset.submit || submit.dataset.close;
    if (submit.dataset.close) { await post('/_emulator/views/close', { viewId }); dirty = false; return; }
    const values = {};
    for (const input of document.querySelectorAll('[data-view="' + viewId + '"]')) {
      const block = (values[input.dataset.block] ||= {});
      if (input.dataset.kind === 'static_select') {
        if (!input.value) continue;
        const option = input.options[input.selectedIndex];
        block[input.dataset.input] = { type: 'static_select', selected_option: { text: { type: 'plain_text', text: option.text }, value: input.value } };
      } else block[input.dataset.input] = input.value;
    }
    status.textContent = 'Submitting…';
    const { response, result } = await post('/_emulator/views/submit', { viewId, values });
    dirty = false;
    status.textContent = response.ok ? 'App answered HTTP ' + result.status + (result.viewOpen ? ' (the form shows errors)' : '') : 'Error: ' + result.error;
    if (result.viewOpen) location.reload();
    return;
  }
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  status.textContent = 'Sending…';
  const response = await fetch('/_emulator/actions', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: actor.value, channel: button.dataset.channel, ts: button.dataset.ts, actionId: button.dataset.action,
      value: button.dataset.value || undefined, blockId: button.dataset.block || undefined }) });
  const result = await response.json();
  status.textContent = response.ok ? 'App answered HTTP ' + result.status : 'Error: ' + result.error;
});
let fingerprint = document.body.dataset.fingerprint;
setInterval(async () => {
  const response = await fetch('/_emulator/fingerprint');
  const next = (await response.json()).fingerprint;
  if (next !== fingerprint && !dirty) location.reload();
}, 1500);
</script>`;

export function stateFingerprint(state: SlackState): string {
  return createHash('sha1').update(JSON.stringify(state.dump())).digest('hex');
}

/** GET /: every conversation and message, with working buttons, pressed as the selected user. */
export function pageRouter(state: SlackState): Router {
  const router = Router();
  router.get('/_emulator/fingerprint', (_req, res) => {
    res.json({ fingerprint: stateFingerprint(state) });
  });
  router.get('/', (_req, res) => {
    const people = [...state.users.values()].filter((user) => !user.is_bot);
    const options = people.map((user) => `<option value="${escapeHtml(user.id)}">${escapeHtml(user.real_name)} (${escapeHtml(user.profile.email ?? user.id)})</option>`).join('');
    const conversations = [...state.conversations.values()].map((conversation) => conversationHtml(state, conversation)).join('');
    const views = [...state.views.values()].filter((view) => view.open).map((view) => viewHtml(state, view)).join('');
    const body = `<h1>Slack emulator — ${escapeHtml(state.team.name)} (${escapeHtml(state.team.id)})</h1>
<p>Act as <select id="actor">${options}</select> <span id="status" class="meta"></span></p>
<form id="command">Type a slash command: <input name="command" value="/access" size="10"> <input name="text" size="30" placeholder="text (optional)"> <button>Send</button></form>
${views ? `<h2>Open modals</h2>${views}` : ''}${conversations || '<p>No conversations yet.</p>'}${SCRIPT}`;
    const style = '<style>.error{color:#e01e5a;font-size:.85rem}.modal{border-color:#1264a3;border-width:2px}.mention{color:#1264a3}</style>';
    res.type('html').send(htmlPage('Slack emulator', body, style).replace('<body>', `<body data-fingerprint="${stateFingerprint(state)}">`));
  });
  return router;
}
