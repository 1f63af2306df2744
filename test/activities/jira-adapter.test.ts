import { createJiraAdapter, textToAdf, type JiraAdapter } from '../../activities/adapters/jira';
import { failureOf, startTestEmulators, type RunningEmulators } from '../helpers/emulators';

const CREDENTIALS = { email: 'gatehouse-bot@example.com', apiToken: 'jira-token' };

describe('Jira adapter against the Jira emulator (real jira.js Version3Client)', () => {
  let emulators: RunningEmulators;
  let jira: JiraAdapter;

  beforeAll(async () => {
    emulators = await startTestEmulators({ okta: false, slack: false, jira: { credentials: CREDENTIALS } });
    jira = createJiraAdapter({ host: emulators.jira.url, ...CREDENTIALS, projectKey: 'GATE' });
  });
  afterAll(() => emulators?.close());
  beforeEach(() => {
    emulators.jira.emulator.faults.clear();
    emulators.jira.emulator.requests.length = 0;
  });

  const issue = (key: string) => emulators.jira.emulator.state.findIssue(key);
  const transitionPosts = () => emulators.jira.emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/transitions'));

  it('creates an issue with an ADF description and finds it again by label', async () => {
    const label = 'gatehouse-req-01';
    expect(await jira.findIssueByLabel(label)).toBeNull();
    const ref = await jira.createIssue({ summary: 'alice → prod-db-admin for 2h', description: 'Requester: alice\nResource: prod-db-admin\n\nWhy: INC-42', labels: ['gatehouse', label] });
    expect(ref.key).toMatch(/^GATE-\d+$/);
    expect(ref.url).toBe(`${emulators.jira.url}/browse/${ref.key}`);
    expect(issue(ref.key)?.description).toEqual(textToAdf('Requester: alice\nResource: prod-db-admin\n\nWhy: INC-42'));
    expect(issue(ref.key)?.description?.content).toHaveLength(2);
    expect(emulators.jira.emulator.requests.some((r) => r.method === 'POST' && r.path === '/rest/api/3/issue' && r.status === 201)).toBe(true);

    expect(await jira.findIssueByLabel(label)).toEqual(ref);
    expect(await jira.findIssueByLabel('gatehouse-req-other')).toBeNull();
    expect(emulators.jira.emulator.requests.some((r) => r.method === 'POST' && r.path === '/rest/api/3/search/jql')).toBe(true);
  });

  it('comments in ADF', async () => {
    const ref = await jira.createIssue({ summary: 'comment me', description: 'x', labels: ['gatehouse-req-02'] });
    await jira.addComment(ref.key, 'Approved by bob@example.com');
    const comments = issue(ref.key)?.comments ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toEqual(textToAdf('Approved by bob@example.com'));
    expect(comments[0]?.author.emailAddress).toBe(CREDENTIALS.email);
  });

  it('moves an issue to In Progress then Done, and a repeated transition is a no-op', async () => {
    const ref = await jira.createIssue({ summary: 'lifecycle', description: 'x', labels: ['gatehouse-req-03'] });
    expect(await jira.getIssueStatus(ref.key)).toBe('To Do');
    await jira.transitionIssue(ref.key, 'In Progress');
    expect(await jira.getIssueStatus(ref.key)).toBe('In Progress');
    await jira.transitionIssue(ref.key, 'Done');
    expect(await jira.getIssueStatus(ref.key)).toBe('Done');
    expect(transitionPosts()).toHaveLength(2);
    await jira.transitionIssue(ref.key, 'Done');
    expect(transitionPosts()).toHaveLength(2);
    expect(issue(ref.key)?.status).toBe('done');
  });

  it('closes a ticket straight from To Do (a denied request)', async () => {
    const ref = await jira.createIssue({ summary: 'denied', description: 'x', labels: ['gatehouse-req-04'] });
    await jira.transitionIssue(ref.key, 'Done');
    expect(await jira.getIssueStatus(ref.key)).toBe('Done');
  });

  it('classifies an unknown issue as a non-retryable JiraRejected carrying Jira’s message', async () => {
    const failure = await failureOf(jira.addComment('GATE-9999', 'hello'));
    expect(failure.type).toBe('JiraRejected');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('Issue does not exist');
  });

  it('classifies a validation error (400) with the field errors', async () => {
    const failure = await failureOf(jira.createIssue({ summary: 'bad label', description: 'x', labels: ['has space'] }));
    expect(failure.type).toBe('JiraRejected');
    expect(failure.message).toContain("labels: The label 'has space' contains spaces");
  });

  it('classifies bad credentials as a retryable JiraAuthFailed', async () => {
    const wrong = createJiraAdapter({ host: emulators.jira.url, email: CREDENTIALS.email, apiToken: 'wrong', projectKey: 'GATE' });
    const failure = await failureOf(wrong.getIssueStatus('GATE-1'));
    expect(failure.type).toBe('JiraAuthFailed');
    expect(failure.nonRetryable).toBe(false);
  });

  it('turns a 429 into JiraRateLimited with the Retry-After delay', async () => {
    emulators.jira.emulator.faults.configure({ burst429: { count: 1, retryAfterSec: 7 } });
    const failure = await failureOf(jira.findIssueByLabel('anything'));
    expect(failure.type).toBe('JiraRateLimited');
    expect(failure.nextRetryDelay).toBe(7000);
  });

  it('turns a 5xx into a retryable JiraUnavailable', async () => {
    emulators.jira.emulator.faults.configure({ errorRate: { '/rest/api/3/issue': 1 } });
    const failure = await failureOf(jira.createIssue({ summary: 's', description: 'd', labels: [] }));
    expect(failure.type).toBe('JiraUnavailable');
    expect(failure.nonRetryable).toBe(false);
  });
});
