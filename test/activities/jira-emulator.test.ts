import request from 'supertest';
import { createJiraEmulator, loadDirectory, type JiraEmulator } from '../../emulators';

const AUTH = { Authorization: `Basic ${Buffer.from('bot@example.com:token').toString('base64')}` };
const adf = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

describe('Jira emulator wire format', () => {
  let jira: JiraEmulator;
  beforeEach(() => {
    jira = createJiraEmulator({ directory: loadDirectory() });
  });

  const create = (labels: string[], summary = 'A ticket') =>
    request(jira.app)
      .post('/rest/api/3/issue')
      .set(AUTH)
      .send({ fields: { project: { key: 'GATE' }, issuetype: { name: 'Task' }, summary, description: adf('details'), labels } })
      .expect(201);

  it('requires Basic auth and answers an ErrorCollection', async () => {
    const res = await request(jira.app).get('/rest/api/3/issue/GATE-1').expect(401);
    expect(res.body).toEqual({ errorMessages: [expect.stringContaining('not authenticated')], errors: {} });
    await request(jira.app).get('/rest/api/3/issue/GATE-1').set({ Authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }).expect(401);
  });

  it('creates issues (201 {id,key,self}) and reads them back with status and ADF', async () => {
    const created = await create(['gatehouse', 'req-1']);
    expect(created.body).toEqual({ id: '10000', key: 'GATE-1', self: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/rest\/api\/3\/issue\/10000$/) });
    const issue = await request(jira.app).get('/rest/api/3/issue/GATE-1').set(AUTH).expect(200);
    expect(issue.body.fields).toMatchObject({ summary: 'A ticket', labels: ['gatehouse', 'req-1'], description: adf('details'), status: { name: 'To Do', statusCategory: { key: 'new' } }, comment: { total: 0 } });
    const missing = await request(jira.app).get('/rest/api/3/issue/GATE-99').set(AUTH).expect(404);
    expect(missing.body).toEqual({ errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
  });

  it('validates creates: v3 needs ADF, v2 takes a string', async () => {
    const bad = await request(jira.app).post('/rest/api/3/issue').set(AUTH).send({ fields: { project: { key: 'GATE' }, issuetype: { name: 'Task' }, description: 'plain' } }).expect(400);
    expect(bad.body.errors).toMatchObject({ summary: expect.any(String), description: expect.stringContaining('Atlassian Document') });
    await request(jira.app).post('/rest/api/3/issue').set(AUTH).send({ fields: { project: { key: 'NOPE' }, issuetype: { name: 'Task' }, summary: 's' } }).expect(400);
    const v2 = await request(jira.app).post('/rest/api/2/issue').set(AUTH).send({ fields: { project: { key: 'GATE' }, issuetype: { name: 'Task' }, summary: 'v2', description: 'plain text' } }).expect(201);
    const issue = await request(jira.app).get(`/rest/api/3/issue/${v2.body.key}`).set(AUTH).expect(200);
    expect(issue.body.fields.description).toEqual(adf('plain text'));
  });

  it('comments in ADF (v3) and wiki text (v2), with the GET jira.js does after a v2 comment', async () => {
    await create(['c']);
    const v3 = await request(jira.app).post('/rest/api/3/issue/GATE-1/comment').set(AUTH).send({ body: adf('first') }).expect(201);
    expect(v3.body).toMatchObject({ body: adf('first'), author: { emailAddress: 'bot@example.com' } });
    const v2 = await request(jira.app).post('/rest/api/2/issue/GATE-1/comment').set(AUTH).send({ body: 'second' }).expect(201);
    expect(v2.body.body).toBe('second');
    const fetched = await request(jira.app).get(`/rest/api/3/issue/GATE-1/comment/${v2.body.id}`).set(AUTH).expect(200);
    expect(fetched.body.body).toEqual(adf('second'));
    const list = await request(jira.app).get('/rest/api/3/issue/GATE-1/comment').set(AUTH).expect(200);
    expect(list.body.total).toBe(2);
  });

  it('lists only the transitions valid from the current status; POST answers 204', async () => {
    await create(['t']);
    const fromTodo = await request(jira.app).get('/rest/api/3/issue/GATE-1/transitions').set(AUTH).expect(200);
    expect(fromTodo.body.transitions.map((t: { to: { name: string } }) => t.to.name)).toEqual(['In Progress', 'Done']);
    const start = await request(jira.app).post('/rest/api/3/issue/GATE-1/transitions').set(AUTH).send({ transition: { id: '21' } }).expect(204);
    expect(start.text).toBe('');
    const fromProgress = await request(jira.app).get('/rest/api/3/issue/GATE-1/transitions').set(AUTH).expect(200);
    expect(fromProgress.body.transitions.map((t: { to: { name: string } }) => t.to.name)).toEqual(['To Do', 'Done']);
    const invalid = await request(jira.app).post('/rest/api/3/issue/GATE-1/transitions').set(AUTH).send({ transition: { id: '21' } }).expect(400);
    expect(invalid.body.errorMessages[0]).toContain("Transition id '21' is not valid");
    await request(jira.app).post('/rest/api/3/issue/GATE-1/transitions').set(AUTH).send({ transition: { id: '31' }, update: { comment: [{ add: { body: adf('closing') } }] } }).expect(204);
    expect(jira.state.findIssue('GATE-1')).toMatchObject({ status: 'done', comments: [expect.objectContaining({ body: adf('closing') })] });
  });

  it('searches by label and project with the enhanced (/search/jql) and legacy (/search) endpoints', async () => {
    await create(['gatehouse', 'req-a']);
    await create(['gatehouse', 'req-b']);
    const byLabel = await request(jira.app).post('/rest/api/3/search/jql').set(AUTH).send({ jql: 'project = GATE AND labels = "req-b"', fields: ['summary'] }).expect(200);
    expect(byLabel.body).toMatchObject({ isLast: true, issues: [{ key: 'GATE-2', fields: { summary: 'A ticket' } }] });
    const bare = await request(jira.app).get('/rest/api/3/search/jql').query({ jql: 'labels = req-a and project = gate' }).set(AUTH).expect(200);
    expect(bare.body.issues.map((i: { key: string }) => i.key)).toEqual(['GATE-1']);
    expect(bare.body.issues[0].fields).toEqual({});

    const paged = await request(jira.app).post('/rest/api/3/search/jql').set(AUTH).send({ jql: 'labels in (gatehouse) ORDER BY created DESC', maxResults: 1 }).expect(200);
    expect(paged.body).toMatchObject({ isLast: false, issues: [{ key: 'GATE-2' }] });
    const next = await request(jira.app).post('/rest/api/3/search/jql').set(AUTH).send({ jql: 'labels in (gatehouse)', maxResults: 1, nextPageToken: paged.body.nextPageToken }).expect(200);
    expect(next.body).toMatchObject({ isLast: true, issues: [{ key: 'GATE-1' }] });

    const legacy = await request(jira.app).get('/rest/api/3/search').query({ jql: 'labels = "gatehouse"' }).set(AUTH).expect(200);
    expect(legacy.body).toMatchObject({ total: 2, startAt: 0 });
    const unknownField = await request(jira.app).post('/rest/api/3/search/jql').set(AUTH).send({ jql: 'reporter = bob' }).expect(400);
    expect(unknownField.body.errorMessages[0]).toContain("Field 'reporter' does not exist");
  });

  it('answers injected 429s with Retry-After on /rest only', async () => {
    await request(jira.app).post('/_emulator/faults').send({ burst429: { count: 1, retryAfterSec: 2 } }).expect(200);
    await request(jira.app).get('/_emulator/state').expect(200);
    const limited = await request(jira.app).get('/rest/api/3/myself').set(AUTH).expect(429);
    expect(limited.headers['retry-after']).toBe('2');
    expect(limited.body.errorMessages).toBeDefined();
    await request(jira.app).get('/rest/api/3/myself').set(AUTH).expect(200);
  });

  it('shows tickets on a browse page', async () => {
    await create(['gatehouse'], 'alice → prod-db-admin');
    const page = await request(jira.app).get('/browse/GATE-1').expect(200).expect('content-type', /html/);
    expect(page.text).toContain('alice → prod-db-admin');
  });
});
