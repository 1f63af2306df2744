import { escapeHtml, htmlPage } from '../../shared/html';
import type { OktaUser } from '../state';
import { fullName, type AuthorizeRequest } from './provider';

/**
 * The emulator's sign-in: pick an ACTIVE directory user. The form posts the authorize parameters
 * back to the authorize endpoint with the chosen `login`; no password, no JavaScript.
 */
export function signInPage(request: AuthorizeRequest, users: OktaUser[], error?: string): string {
  const hidden = Object.entries(request.params)
    .filter(([name]) => name !== 'login')
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const hint = request.loginHint?.toLowerCase();
  const options = users
    .map((user) => {
      const login = user.profile.login;
      const selected = hint !== undefined && (login.toLowerCase() === hint || login.toLowerCase().split('@')[0] === hint) ? ' selected' : '';
      return `<option value="${escapeHtml(login)}"${selected}>${escapeHtml(`${fullName(user)} (${login})`)}</option>`;
    })
    .join('\n');
  const body = `<main>
<h1>Sign in (Okta emulator)</h1>
<p><strong>${escapeHtml(request.client.clientName)}</strong> asks for <code>${escapeHtml(request.scopes.join(' '))}</code>.
Choose who you are: the emulator asks for no password.</p>
${error ? `<p role="alert" class="card">${escapeHtml(error)}</p>` : ''}
<form method="post" action="authorize">
${hidden}
<p><label for="login">Person</label>
<select id="login" name="login" required>
${options}
</select></p>
<p><button type="submit" class="primary">Sign in</button></p>
</form>
</main>`;
  return htmlPage('Sign in - Okta emulator', body);
}

/** A page with a heading and one message: Okta shows errors this way when it cannot trust the redirect URI. */
export function messagePage(title: string, message: string): string {
  return htmlPage(`${title} - Okta emulator`, `<main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main>`);
}
