/**
 * The frame of every portal page: header with navigation and the signed-in person, one <main>
 * with one <h1>, and the alerts. Pages for some people only (Temporary accounts for managers,
 * Security for reviewers) are in NAV with a `show` rule on the person's roles (./roles.ts).
 */
import { assetUrl } from './assets';
import { html, type Html, type Part } from './html';
import type { PortalRoles } from './roles';

export interface PortalPerson {
  userId: string;
  login: string;
  name: string;
  csrf: string;
  roles: PortalRoles;
}

export interface NavItem {
  href: string;
  label: string;
  /** Whether the person sees the item (default: everyone signed in). */
  show?: (person: PortalPerson) => boolean;
}

export const NAV: readonly NavItem[] = [
  { href: '/requests/new', label: 'Request access' },
  { href: '/requests', label: 'My requests' },
  { href: '/approvals', label: 'Approvals' },
  { href: '/temporary-accounts', label: 'Temporary accounts', show: (p) => p.roles.manager },
  { href: '/security', label: 'Security', show: (p) => p.roles.reviewer },
];

export interface PageOptions {
  title: string;
  person?: PortalPerson | null;
  /** The NAV href of this page (aria-current). */
  current?: string;
  /** A confirmation at the top (role=status). */
  notice?: string | null;
  /** A refusal or failure at the top (role=alert). */
  error?: Part;
}

/** The hidden CSRF field every form carries. */
export const csrfField = (person: PortalPerson): Html => html`<input type="hidden" name="_csrf" value="${person.csrf}">`;

export function page(opts: PageOptions, body: Part): string {
  const person = opts.person;
  const nav = person
    ? html`<nav aria-label="Main"><ul>${NAV.filter((item) => item.show?.(person) ?? true).map(
        (item) => html`<li><a href="${item.href}"${item.href === opts.current ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
      )}</ul></nav>
<div class="who"><span>${person.name || person.login}</span>
<form method="post" action="/auth/logout">${csrfField(person)}<button type="submit">Sign out</button></form></div>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · Gatehouse</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetUrl('css')}"><script src="${assetUrl('js')}" defer></script></head>
<body><a class="skip" href="#main">Skip to the content</a>
<header><a class="brand" href="/">Gatehouse</a>${nav}</header>
<main id="main" tabindex="-1"><h1>${opts.title}</h1>
${opts.notice ? html`<div class="alert ok" role="status">${opts.notice}</div>` : ''}
${opts.error ? html`<div class="alert error" role="alert" id="page-error">${opts.error}</div>` : ''}
${body}
</main></body></html>`.value;
}
