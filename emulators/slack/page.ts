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

/** mrkdwn-ish: *bold* and `code`, on escaped text. */
function mrkdwn(text: string): string {
  return escapeHtml(text)
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/`([^`\n]+)`/g, '<code>$1</code>');
}

function buttonHtml(element: Obj, blockId: string, channel: string, ts: string): string {
  if (element.type !== 'button') return `<span class="meta">[${escapeHtml(element.type)}: ${escapeHtml(element.action_id)}]</span>`;
  const style = element.style === 'primary' ? 'primary' : element.style === 'danger' ? 'danger' : '';
  return `<button class="${style}" data-channel="${escapeHtml(channel)}" data-ts="${escapeHtml(ts)}" data-block="${escapeHtml(blockId)}" data-action="${escapeHtml(element.action_id)}" data-value="${escapeHtml(element.value ?? '')}">${escapeHtml(textOf(element.text))}</button>`;
}

/** Renders blocks simply; buttons are live when the message can be acted on (channel + ts). */
export function renderBlocks(blocks: unknown[] | undefined, channel = '', ts = ''): string {
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
          const fields = ((block.fields ?? []) as Obj[]).map((field) => `<div>${mrkdwn(textOf(field))}</div>`).join('');
          const accessory = block.accessory ? live(block.accessory as Obj) : '';
          return `<div class="block">${mrkdwn(textOf(block.text))}${fields}${accessory}</div>`;
        }
        case 'context':
          return `<div class="block meta">${((block.elements ?? []) as Obj[]).map((element) => mrkdwn(textOf(element))).join(' · ')}</div>`;
        case 'actions':
          return `<div class="block">${((block.elements ?? []) as Obj[]).map(live).join('')}</div>`;
        case 'input':
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
  const messages = conversation.messages.map(
    (message) => `<div class="card"><div class="meta">${escapeHtml(who(message.user))} · ts ${escapeHtml(message.ts)}${message.edited ? ' · edited' : ''}</div>
<div class="block">${mrkdwn(message.text)}</div>${renderBlocks(message.blocks, conversation.id, message.ts)}</div>`,
  );
  const ephemeral = conversation.ephemeral.map(
    (message) => `<div class="card ephemeral"><div class="meta">only visible to ${escapeHtml(who(message.user))} · ts ${escapeHtml(message.ts)}</div>
<div class="block">${mrkdwn(message.text)}</div>${renderBlocks(message.blocks)}</div>`,
  );
  return `<h2>${escapeHtml(conversationTitle(state, conversation))} <span class="meta">${escapeHtml(conversation.id)}</span></h2>${[...messages, ...ephemeral].join('') || '<p class="meta">No messages.</p>'}`;
}

function viewHtml(state: SlackState, view: SlackView): string {
  const who = state.users.get(view.user)?.real_name ?? view.user;
  return `<div class="card"><div class="meta">modal ${escapeHtml(view.id)} (${escapeHtml(view.callback_id)}) open for ${escapeHtml(who)} — submit it with POST /_emulator/views/submit</div>
<h3>${escapeHtml(textOf(view.title))}</h3>${renderBlocks(view.blocks)}</div>`;
}

const SCRIPT = `<script>
const actor = document.getElementById('actor');
if (localStorage.actor && [...actor.options].some(o => o.value === localStorage.actor)) actor.value = localStorage.actor;
actor.onchange = () => { localStorage.actor = actor.value; };
const status = document.getElementById('status');
document.addEventListener('click', async (event) => {
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
  if (next !== fingerprint) location.reload();
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
${views ? `<h2>Open modals</h2>${views}` : ''}${conversations || '<p>No conversations yet.</p>'}${SCRIPT}`;
    res.type('html').send(htmlPage('Slack emulator', body).replace('<body>', `<body data-fingerprint="${stateFingerprint(state)}">`));
  });
  return router;
}
