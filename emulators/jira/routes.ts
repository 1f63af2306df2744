import { Router, type Request, type Response } from 'express';
import { isAdfDocument, plainTextToAdf, type AdfNode } from './adf';
import { compileJql, JqlError } from './jql';
import { ISSUE_TYPES, jiraDate, STATUSES, TRANSITIONS, type JiraIssue, type JiraState, type JiraUser } from './state';
import { commentJson, fieldList, issueJson, sendIssueNotFound, sendJiraError, statusJson, userJson } from './wire';

export interface JiraContext {
  state: JiraState;
  baseUrl(req: Request): string;
}

type Version = '2' | '3';

interface CreateIssueBody {
  fields?: {
    project?: { key?: string; id?: string };
    summary?: unknown;
    issuetype?: { name?: string; id?: string };
    description?: unknown;
    labels?: unknown;
  };
}

const currentUser = (res: Response) => res.locals.jiraUser as JiraUser;

/** v3 requires ADF; v2 takes a wiki string (stored as ADF so both versions read it back). */
function richText(value: unknown, version: Version): AdfNode | null | 'invalid' {
  if (value === undefined || value === null) return null;
  if (version === '3') return isAdfDocument(value) ? value : 'invalid';
  return typeof value === 'string' ? plainTextToAdf(value) : 'invalid';
}

function validateCreate(body: CreateIssueBody, ctx: JiraContext, version: Version): Record<string, string> {
  const fields = body.fields ?? {};
  const errors: Record<string, string> = {};
  const project = ctx.state.findProject(fields.project?.key ?? fields.project?.id ?? '');
  if (!project) errors.project = 'Specify a valid project ID or key';
  if (typeof fields.summary !== 'string' || !fields.summary.trim()) errors.summary = 'You must specify a summary of the issue.';
  if (!ISSUE_TYPES.some((type) => type.name === fields.issuetype?.name || type.id === fields.issuetype?.id)) {
    errors.issuetype = 'Specify an issue type';
  }
  if (richText(fields.description, version) === 'invalid') {
    errors.description = version === '3' ? 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' : 'Operation value must be a string';
  }
  const labels = fields.labels ?? [];
  if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string')) errors.labels = 'Labels must be an array of strings.';
  else {
    const spaced = labels.find((label: string) => /\s/.test(label));
    if (spaced !== undefined) errors.labels = `The label '${spaced}' contains spaces which is invalid.`;
  }
  return errors;
}

function searchParams(req: Request): { jql: string; fields?: string[]; maxResults: number; cursor?: string; startAt: number } {
  const source = (req.method === 'POST' ? req.body ?? {} : req.query) as Record<string, unknown>;
  const max = Number(source.maxResults);
  return {
    jql: typeof source.jql === 'string' ? source.jql : '',
    fields: fieldList(source.fields),
    maxResults: Number.isInteger(max) && max > 0 ? Math.min(max, 100) : 50,
    cursor: typeof source.nextPageToken === 'string' ? source.nextPageToken : undefined,
    startAt: Number(source.startAt) > 0 ? Number(source.startAt) : 0,
  };
}

function runSearch(ctx: JiraContext, jql: string, res: Response): JiraIssue[] | undefined {
  try {
    const matches = compileJql(jql);
    // Newest first, like Jira's default ordering by created.
    return [...ctx.state.issues.values()].filter(matches).sort((a, b) => Number(b.id) - Number(a.id));
  } catch (err) {
    if (err instanceof JqlError) {
      sendJiraError(res, 400, [err.message]);
      return undefined;
    }
    throw err;
  }
}

export function jiraRouter(ctx: JiraContext): Router {
  const router = Router();
  const { state } = ctx;

  const withIssue = (handler: (req: Request<{ key: string }>, res: Response, issue: JiraIssue, version: Version) => void, version: Version) =>
    (req: Request<{ key: string }>, res: Response) => {
      const issue = state.findIssue(req.params.key);
      if (!issue) return sendIssueNotFound(res);
      handler(req, res, issue, version);
    };

  router.get('/rest/api/3/myself', (req, res) => {
    res.json(userJson(currentUser(res), ctx.baseUrl(req)));
  });

  for (const version of ['2', '3'] as const) {
    const prefix = `/rest/api/${version}`;

    router.post(`${prefix}/issue`, (req, res) => {
      const body = (req.body ?? {}) as CreateIssueBody;
      const errors = validateCreate(body, ctx, version);
      if (Object.keys(errors).length) return sendJiraError(res, 400, [], errors);
      const fields = body.fields ?? {};
      const project = state.findProject(fields.project?.key ?? fields.project?.id ?? '');
      const issueType = ISSUE_TYPES.find((type) => type.name === fields.issuetype?.name || type.id === fields.issuetype?.id);
      const issue = state.createIssue({
        projectKey: project?.key ?? '',
        issueType: issueType ?? { id: '10001', name: 'Task' },
        summary: String(fields.summary),
        description: richText(fields.description, version) as AdfNode | null,
        labels: (fields.labels as string[] | undefined) ?? [],
        reporter: currentUser(res),
      });
      res.status(201).json({ id: issue.id, key: issue.key, self: `${ctx.baseUrl(req)}${prefix}/issue/${issue.id}` });
    });

    router.get(
      `${prefix}/issue/:key`,
      withIssue((req, res, issue) => res.json(issueJson(issue, ctx.baseUrl(req), version, fieldList(req.query.fields))), version),
    );

    router.get(
      `${prefix}/issue/:key/comment`,
      withIssue((req, res, issue) => {
        const base = ctx.baseUrl(req);
        const comments = issue.comments.map((comment) => commentJson(issue, comment, base, version));
        res.json({ startAt: 0, maxResults: comments.length, total: comments.length, comments });
      }, version),
    );

    router.post(
      `${prefix}/issue/:key/comment`,
      withIssue((req, res, issue) => {
        const body = richText((req.body as { body?: unknown } | undefined)?.body, version);
        if (!body || body === 'invalid') return sendJiraError(res, 400, [], { comment: 'Comment body can not be empty!' });
        const comment = state.addComment(issue, body, currentUser(res));
        res.status(201).json(commentJson(issue, comment, ctx.baseUrl(req), version));
      }, version),
    );

    router.get(
      `${prefix}/issue/:key/comment/:commentId`,
      withIssue((req, res, issue) => {
        const comment = issue.comments.find((candidate) => candidate.id === (req.params as { commentId?: string }).commentId);
        if (!comment) return sendJiraError(res, 404, ['Can not find a comment for the id.']);
        res.json(commentJson(issue, comment, ctx.baseUrl(req), version));
      }, version),
    );

    router.get(
      `${prefix}/issue/:key/transitions`,
      withIssue((req, res, issue) => {
        const base = ctx.baseUrl(req);
        // Only the transitions valid from the current status, as Jira lists them.
        const transitions = TRANSITIONS.filter((transition) => transition.from.includes(issue.status)).map((transition) => ({
          id: transition.id,
          name: transition.name,
          to: statusJson(transition.to, base),
          hasScreen: false,
          isGlobal: false,
          isInitial: false,
          isAvailable: true,
          isConditional: false,
          isLooped: false,
        }));
        res.json({ expand: 'transitions', transitions });
      }, version),
    );

    router.post(
      `${prefix}/issue/:key/transitions`,
      withIssue((req, res, issue) => {
        const body = (req.body ?? {}) as { transition?: { id?: string }; update?: { comment?: Array<{ add?: { body?: unknown } }> } };
        const transition = TRANSITIONS.find((candidate) => candidate.id === String(body.transition?.id ?? ''));
        if (!transition || !transition.from.includes(issue.status)) {
          return sendJiraError(res, 400, [`Transition id '${body.transition?.id ?? ''}' is not valid for this issue.`]);
        }
        issue.status = transition.to;
        for (const entry of body.update?.comment ?? []) {
          const comment = richText(entry.add?.body, version);
          if (comment && comment !== 'invalid') state.addComment(issue, comment, currentUser(res));
        }
        issue.updated = jiraDate();
        res.status(204).end();
      }, version),
    );

    // Legacy offset search (jira.js searchForIssuesUsingJql[Post]); Atlassian is retiring it.
    router.all(`${prefix}/search`, (req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'POST') return next();
      const params = searchParams(req);
      const issues = runSearch(ctx, params.jql, res);
      if (!issues) return;
      const base = ctx.baseUrl(req);
      const page = issues.slice(params.startAt, params.startAt + params.maxResults);
      res.json({
        expand: 'schema,names',
        startAt: params.startAt,
        maxResults: params.maxResults,
        total: issues.length,
        issues: page.map((issue) => issueJson(issue, base, version, params.fields)),
      });
    });
  }

  // Enhanced search (jira.js searchForIssuesUsingJqlEnhancedSearch[Post]): cursor pages, ids only unless fields are asked.
  router.all('/rest/api/3/search/jql', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') return next();
    const params = searchParams(req);
    const issues = runSearch(ctx, params.jql, res);
    if (!issues) return;
    const offset = params.cursor ? Number(Buffer.from(params.cursor, 'base64url').toString('utf8')) || 0 : 0;
    const page = issues.slice(offset, offset + params.maxResults);
    const isLast = offset + params.maxResults >= issues.length;
    const base = ctx.baseUrl(req);
    res.json({
      issues: page.map((issue) => issueJson(issue, base, '3', params.fields, false)),
      isLast,
      ...(isLast ? {} : { nextPageToken: Buffer.from(String(offset + params.maxResults)).toString('base64url') }),
    });
  });

  router.get('/rest/api/3/status', (req, res) => {
    const base = ctx.baseUrl(req);
    res.json(Object.keys(STATUSES).map((key) => statusJson(key as keyof typeof STATUSES, base)));
  });

  return router;
}
