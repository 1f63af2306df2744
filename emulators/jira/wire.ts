import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { adfToText } from './adf';
import { STATUSES, type JiraComment, type JiraIssue, type JiraUser, type StatusKey } from './state';

/** Jira's ErrorCollection body. */
export function sendJiraError(res: Response, status: number, errorMessages: string[], errors: Record<string, string> = {}): void {
  res.status(status).json({ errorMessages, errors });
}

export function sendIssueNotFound(res: Response): void {
  sendJiraError(res, 404, ['Issue does not exist or you do not have permission to see it.']);
}

export function jiraUserFor(email: string): JiraUser {
  const accountId = `712020:${createHash('sha256').update(email).digest('hex').slice(0, 32)}`;
  return { accountId, emailAddress: email, displayName: email.split('@')[0] ?? email };
}

export function userJson(user: JiraUser, base: string): Record<string, unknown> {
  return { ...user, self: `${base}/rest/api/3/user?accountId=${user.accountId}`, active: true, accountType: 'atlassian', timeZone: 'UTC' };
}

export function statusJson(key: StatusKey, base: string): Record<string, unknown> {
  const status = STATUSES[key];
  return {
    self: `${base}/rest/api/3/status/${status.id}`,
    description: '',
    iconUrl: `${base}/images/icons/statuses/generic.png`,
    name: status.name,
    id: status.id,
    statusCategory: { self: `${base}/rest/api/3/statuscategory/${status.category.id}`, ...status.category },
  };
}

/** v3 answers rich text as ADF; v2 as a (wiki) string. */
export function commentJson(issue: JiraIssue, comment: JiraComment, base: string, version: '2' | '3'): Record<string, unknown> {
  return {
    self: `${base}/rest/api/${version}/issue/${issue.id}/comment/${comment.id}`,
    id: comment.id,
    author: userJson(comment.author, base),
    body: version === '3' ? comment.body : adfToText(comment.body).trimEnd(),
    updateAuthor: userJson(comment.author, base),
    created: comment.created,
    updated: comment.updated,
    jsdPublic: true,
  };
}

function allFields(issue: JiraIssue, base: string, version: '2' | '3'): Record<string, unknown> {
  return {
    summary: issue.summary,
    status: statusJson(issue.status, base),
    labels: issue.labels,
    description: version === '3' ? issue.description : issue.description ? adfToText(issue.description).trimEnd() : null,
    comment: {
      comments: issue.comments.map((comment) => commentJson(issue, comment, base, version)),
      self: `${base}/rest/api/${version}/issue/${issue.id}/comment`,
      maxResults: issue.comments.length,
      total: issue.comments.length,
      startAt: 0,
    },
    project: { id: issue.projectId, key: issue.projectKey, name: issue.projectKey, self: `${base}/rest/api/3/project/${issue.projectKey}` },
    issuetype: { ...issue.issueType, self: `${base}/rest/api/3/issuetype/${issue.issueType.id}`, subtask: false },
    reporter: userJson(issue.reporter, base),
    creator: userJson(issue.reporter, base),
    created: issue.created,
    updated: issue.updated,
  };
}

/**
 * An issue with the requested fields: `*all`/`*navigable` (or nothing, when `defaultAll`) → every
 * field; otherwise only those named. The enhanced search answers only ids unless asked.
 */
export function issueJson(issue: JiraIssue, base: string, version: '2' | '3', requested: string[] | undefined, defaultAll = true): Record<string, unknown> {
  const fields = allFields(issue, base, version);
  const wanted = requested?.map((name) => name.trim()).filter((name) => name && !name.startsWith('-'));
  const everything = wanted === undefined || wanted.length === 0 ? defaultAll : wanted.some((name) => name === '*all' || name === '*navigable');
  const picked = everything ? fields : Object.fromEntries(Object.entries(fields).filter(([name]) => wanted?.includes(name)));
  return { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: issue.id, key: issue.key, self: `${base}/rest/api/${version}/issue/${issue.id}`, fields: picked };
}

/** `fields` arrives as a comma list (query) or an array (JSON body). */
export function fieldList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(',');
  return undefined;
}
