import type { Response } from 'express';
import { randomId } from '../shared/http';
import type { OktaApp, OktaAppUser, OktaGroup, OktaUser } from './state';

/** Okta's error body: {errorCode, errorSummary, errorLink, errorId, errorCauses}. */
export function sendOktaError(
  res: Response,
  status: number,
  errorCode: string,
  errorSummary: string,
  causes: string[] = [],
): void {
  res.status(status).json({
    errorCode,
    errorSummary,
    errorLink: errorCode,
    errorId: randomId('oae', 22),
    errorCauses: causes.map((cause) => ({ errorSummary: cause })),
  });
}

export function sendNotFound(res: Response, id: string, kind: string): void {
  sendOktaError(res, 404, 'E0000007', `Not found: Resource not found: ${id} (${kind})`);
}

export function userJson(user: OktaUser, base: string): Record<string, unknown> {
  const { hasPassword, sessionsClearedAt: _sessions, ...fields } = user;
  return {
    ...fields,
    type: { id: 'oty_default' },
    credentials: { ...(hasPassword ? { password: {} } : {}), provider: { type: 'OKTA', name: 'OKTA' } },
    _links: { self: { href: `${base}/api/v1/users/${user.id}` } },
  };
}

export function groupJson(group: OktaGroup, base: string): Record<string, unknown> {
  const { members: _members, ...fields } = group;
  return {
    ...fields,
    objectClass: ['okta:user_group'],
    type: 'OKTA_GROUP',
    _links: {
      self: { href: `${base}/api/v1/groups/${group.id}` },
      users: { href: `${base}/api/v1/groups/${group.id}/users` },
      apps: { href: `${base}/api/v1/groups/${group.id}/apps` },
    },
  };
}

export function appUserJson(app: OktaApp, assignment: OktaAppUser, base: string): Record<string, unknown> {
  return {
    ...assignment,
    externalId: null,
    statusChanged: assignment.lastUpdated,
    passwordChanged: null,
    syncState: 'DISABLED',
    _links: {
      app: { href: `${base}/api/v1/apps/${app.id}` },
      user: { href: `${base}/api/v1/users/${assignment.id}` },
    },
  };
}

export function appJson(app: OktaApp, base: string): Record<string, unknown> {
  return {
    id: app.id,
    name: app.id,
    label: app.label,
    status: 'ACTIVE',
    signOnMode: 'BOOKMARK',
    created: app.created,
    lastUpdated: app.created,
    _links: { self: { href: `${base}/api/v1/apps/${app.id}` }, users: { href: `${base}/api/v1/apps/${app.id}/users` } },
  };
}
