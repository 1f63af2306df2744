import { Version3Client } from 'jira.js';
import { classifyFailure } from '../errors';
import type { JiraIssueRef, JiraPort } from '../ports';

export interface JiraSettings {
  host: string;
  email: string;
  apiToken: string;
  projectKey: string;
  /** Default Task. */
  issueType?: string;
}

interface AdfDoc {
  type: 'doc';
  version: 1;
  content: Array<{ type: 'paragraph'; content: Array<{ type: 'text'; text: string } | { type: 'hardBreak' }> }>;
}

/** Plain text → ADF: blank lines separate paragraphs, single newlines become hard breaks. */
export function textToAdf(text: string): AdfDoc {
  const paragraphs = text.split(/\n\s*\n/).filter((paragraph) => paragraph.trim().length > 0);
  return {
    type: 'doc',
    version: 1,
    content: paragraphs.map((paragraph) => ({
      type: 'paragraph',
      content: paragraph.split('\n').flatMap((line, index) => [
        ...(index > 0 ? [{ type: 'hardBreak' as const }] : []),
        ...(line ? [{ type: 'text' as const, text: line }] : []),
      ]),
    })),
  };
}

/** A JQL string literal. */
export function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

interface JiraErrorLike {
  status?: number;
  message?: string;
  response?: { data?: { errorMessages?: string[]; errors?: Record<string, string> } } | string;
  cause?: { response?: { headers?: Record<string, string | undefined> } };
}

function retryAfterMs(err: JiraErrorLike): number | undefined {
  const raw = err.cause?.response?.headers?.['retry-after'];
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(date - Date.now(), 0) : undefined;
}

/**
 * jira.js 5 throws HttpException (status, response.data = Jira's ErrorCollection) for an HTTP
 * answer and the bare AxiosError for a network failure.
 */
function toFailure(err: unknown): Error {
  const e = (err ?? {}) as JiraErrorLike;
  const hasResponse = typeof e.cause === 'object' && !!e.cause?.response;
  const status = hasResponse && typeof e.status === 'number' ? e.status : undefined;
  const data = typeof e.response === 'object' ? e.response.data : undefined;
  const details = [...(data?.errorMessages ?? []), ...Object.entries(data?.errors ?? {}).map(([field, text]) => `${field}: ${text}`)];
  const message = details.length ? details.join('; ') : (e.message ?? String(err));
  return classifyFailure('Jira', status, message, status === 429 ? retryAfterMs(e) : undefined);
}

export class JiraAdapter implements JiraPort {
  constructor(
    private readonly client: Version3Client,
    private readonly settings: JiraSettings,
  ) {}

  private url(key: string): string {
    return `${this.settings.host.replace(/\/+$/, '')}/browse/${key}`;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw toFailure(err);
    }
  }

  async findIssueByLabel(label: string, projectKey = this.settings.projectKey): Promise<JiraIssueRef | null> {
    const result = await this.call(() =>
      this.client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
        jql: `project = ${jqlString(projectKey)} AND labels = ${jqlString(label)}`,
        maxResults: 1,
        fields: ['summary'],
      }),
    );
    const key = result.issues?.[0]?.key;
    return key ? { key, url: this.url(key) } : null;
  }

  async createIssue(input: { summary: string; description: string; labels: string[]; projectKey?: string; issueType?: string }): Promise<JiraIssueRef> {
    const created = await this.call(() =>
      this.client.issues.createIssue({
        fields: {
          project: { key: input.projectKey ?? this.settings.projectKey },
          issuetype: { name: input.issueType ?? this.settings.issueType ?? 'Task' },
          summary: input.summary,
          description: textToAdf(input.description),
          labels: input.labels,
        },
      }),
    );
    return { key: created.key, url: this.url(created.key) };
  }

  async addComment(key: string, text: string): Promise<void> {
    await this.call(() => this.client.issueComments.addComment({ issueIdOrKey: key, comment: textToAdf(text) }));
  }

  async transitionIssue(key: string, statusName: 'In Progress' | 'Done'): Promise<void> {
    const wanted = statusName.toLowerCase();
    if ((await this.getIssueStatus(key)).toLowerCase() === wanted) return;
    const { transitions = [] } = await this.call(() => this.client.issues.getTransitions({ issueIdOrKey: key }));
    const transition = transitions.find((candidate) => candidate.to?.name?.toLowerCase() === wanted);
    if (!transition?.id) throw classifyFailure('Jira', 409, `${key} has no transition to "${statusName}" from its current status`);
    await this.call(() => this.client.issues.doTransition({ issueIdOrKey: key, transition: { id: transition.id } }));
  }

  async getIssueStatus(key: string): Promise<string> {
    const issue = await this.call(() => this.client.issues.getIssue({ issueIdOrKey: key, fields: ['status'] }));
    return issue.fields.status?.name ?? '';
  }
}

export function createJiraClient(settings: JiraSettings): Version3Client {
  return new Version3Client({
    host: settings.host.replace(/\/+$/, ''),
    authentication: { basic: { email: settings.email, apiToken: settings.apiToken } },
  });
}

export function createJiraAdapter(settings: JiraSettings): JiraAdapter {
  return new JiraAdapter(createJiraClient(settings), settings);
}
