import type { Directory } from '../shared/directory';
import type { AdfNode } from './adf';

export type StatusKey = 'todo' | 'inprogress' | 'done';

export const STATUSES: Record<StatusKey, { id: string; name: string; category: { id: number; key: string; name: string; colorName: string } }> = {
  todo: { id: '10000', name: 'To Do', category: { id: 2, key: 'new', name: 'To Do', colorName: 'blue-gray' } },
  inprogress: { id: '3', name: 'In Progress', category: { id: 4, key: 'indeterminate', name: 'In Progress', colorName: 'yellow' } },
  done: { id: '10001', name: 'Done', category: { id: 3, key: 'done', name: 'Done', colorName: 'green' } },
};

/** The simplified workflow: To Do → In Progress → Done, To Do → Done (e.g. a denied request), and reopen. */
export const TRANSITIONS: Array<{ id: string; name: string; to: StatusKey; from: StatusKey[] }> = [
  { id: '11', name: 'To Do', to: 'todo', from: ['inprogress', 'done'] },
  { id: '21', name: 'In Progress', to: 'inprogress', from: ['todo'] },
  { id: '31', name: 'Done', to: 'done', from: ['todo', 'inprogress'] },
];

export const ISSUE_TYPES = [
  { id: '10001', name: 'Task' },
  { id: '10002', name: 'Bug' },
  { id: '10003', name: 'Story' },
  { id: '10004', name: 'Epic' },
  { id: '10005', name: 'Incident' },
];

export interface JiraUser {
  accountId: string;
  emailAddress: string;
  displayName: string;
}

export interface JiraComment {
  id: string;
  body: AdfNode;
  author: JiraUser;
  created: string;
  updated: string;
}

export interface JiraIssue {
  id: string;
  key: string;
  projectKey: string;
  projectId: string;
  issueType: { id: string; name: string };
  summary: string;
  description: AdfNode | null;
  labels: string[];
  status: StatusKey;
  reporter: JiraUser;
  comments: JiraComment[];
  created: string;
  updated: string;
}

export interface JiraProject {
  id: string;
  key: string;
  name: string;
  nextNumber: number;
}

/** Jira's timestamp format: 2021-01-17T12:34:00.000+0000. */
export function jiraDate(date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

export class JiraState {
  projects = new Map<string, JiraProject>();
  issues = new Map<string, JiraIssue>();
  private nextIssueId = 10000;
  private nextCommentId = 10000;

  reset(): void {
    this.projects.clear();
    this.issues.clear();
    this.nextIssueId = 10000;
    this.nextCommentId = 10000;
  }

  addProject(key: string, name = key): JiraProject {
    const existing = this.projects.get(key.toUpperCase());
    if (existing) return existing;
    const project = { id: String(10000 + this.projects.size), key: key.toUpperCase(), name, nextNumber: 1 };
    this.projects.set(project.key, project);
    return project;
  }

  findProject(keyOrId: string): JiraProject | undefined {
    return this.projects.get(keyOrId.toUpperCase()) ?? [...this.projects.values()].find((project) => project.id === keyOrId);
  }

  /** By key (case-insensitive) or numeric id. */
  findIssue(keyOrId: string): JiraIssue | undefined {
    return this.issues.get(keyOrId.toUpperCase()) ?? [...this.issues.values()].find((issue) => issue.id === keyOrId);
  }

  createIssue(input: Omit<JiraIssue, 'id' | 'key' | 'projectId' | 'status' | 'comments' | 'created' | 'updated'>): JiraIssue {
    const project = this.findProject(input.projectKey) as JiraProject;
    const at = jiraDate();
    const issue: JiraIssue = {
      ...input,
      projectKey: project.key,
      projectId: project.id,
      id: String(this.nextIssueId++),
      key: `${project.key}-${project.nextNumber++}`,
      status: 'todo',
      comments: [],
      created: at,
      updated: at,
    };
    this.issues.set(issue.key, issue);
    return issue;
  }

  addComment(issue: JiraIssue, body: AdfNode, author: JiraUser): JiraComment {
    const at = jiraDate();
    const comment = { id: String(this.nextCommentId++), body, author, created: at, updated: at };
    issue.comments.push(comment);
    issue.updated = at;
    return comment;
  }

  seed(directory: Directory): void {
    if (directory.jira) this.addProject(directory.jira.projectKey, directory.jira.projectName);
    for (const project of directory.jira?.projects ?? []) this.addProject(project.key, project.name);
  }

  dump(): Record<string, unknown> {
    return {
      projects: [...this.projects.values()],
      issues: [...this.issues.values()].map((issue) => ({ ...issue, statusName: STATUSES[issue.status].name })),
    };
  }
}
