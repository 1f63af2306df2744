/**
 * In front of Bolt at /slack/events: reads the raw body once (Bolt then reuses `req.rawBody` for
 * the signature check) and refuses, with a 400, a body whose shape Gatehouse's listeners cannot
 * take. Bolt itself answers such a body — even a correctly signed one — with a 500 or lets it hang
 * until its 3 s acknowledgement timer fires.
 */
import type { RequestHandler } from 'express';
import getRawBody from 'raw-body';
import { errorBody, HttpError } from '../errors';

const LIMIT = '1mb';
const INTERACTIONS = new Set(['block_actions', 'view_submission', 'view_closed', 'shortcut', 'message_action', 'block_suggestion']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 1000;

/** Why an interaction payload cannot be handled, or null. */
export function payloadProblem(p: unknown): string | null {
  if (!isObject(p) || !isString(p.type)) return 'the payload is not an object with a type';
  if (!INTERACTIONS.has(p.type)) return `interactions of type ${p.type} are not handled`;
  if (!isObject(p.user) || !isString(p.user.id)) return 'the payload names no user';
  if (p.team !== undefined && p.team !== null && (!isObject(p.team) || !isString(p.team.id))) return 'the payload names no team';
  if (p.type === 'block_actions' && (!Array.isArray(p.actions) || !p.actions.every((a) => isObject(a) && isString(a.action_id)))) return 'the actions are not a list of actions';
  if ((p.type === 'view_submission' || p.type === 'view_closed') && (!isObject(p.view) || !isString(p.view.callback_id) || (p.view.state !== undefined && !isObject(p.view.state)))) return 'the view is malformed';
  return null;
}

/** Why a form or JSON body cannot be handled, or null. */
export function bodyProblem(raw: string, contentType: string): string | null {
  if (contentType.startsWith('application/json')) {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return 'malformed JSON';
    }
    return isObject(body) && isString(body.type) ? null : 'an events body must be an object with a type';
  }
  if (!contentType.startsWith('application/x-www-form-urlencoded')) return 'unsupported content type';
  const form = new URLSearchParams(raw);
  if (form.has('ssl_check')) return null;
  const payload = form.get('payload');
  if (payload !== null) {
    try {
      return payloadProblem(JSON.parse(payload));
    } catch {
      return 'the payload is not JSON';
    }
  }
  // A slash command.
  return ['command', 'user_id', 'trigger_id'].every((k) => isString(form.get(k))) ? null : 'neither an interaction payload nor a slash command';
}

export const slackBodyGuard: RequestHandler = async (req, res, next) => {
  let raw: Buffer;
  try {
    raw = await getRawBody(req, { limit: LIMIT });
  } catch (err) {
    const status = (err as { status?: number }).status === 413 ? 413 : 400;
    res.status(status).json(errorBody(new HttpError(status, status === 413 ? 'payload_too_large' : 'validation_failed', 'the body could not be read')));
    return;
  }
  const problem = bodyProblem(raw.toString('utf8'), String(req.headers['content-type'] ?? '').toLowerCase());
  if (problem) {
    res.status(400).json(errorBody(new HttpError(400, 'validation_failed', `not a Slack request Gatehouse handles: ${problem}`)));
    return;
  }
  (req as typeof req & { rawBody: Buffer }).rawBody = raw;
  next();
};

/**
 * Socket Mode's counterpart of bodyProblem: why an envelope's payload (interactive, slash_commands
 * or events_api, already JSON) cannot be handled, or null.
 */
export function socketPayloadProblem(body: unknown): string | null {
  if (!isObject(body)) return 'the payload is not an object';
  if ('command' in body) return ['command', 'user_id', 'trigger_id'].every((k) => isString(body[k])) ? null : 'a slash command without command, user_id or trigger_id';
  if (body.type === 'event_callback') return isObject(body.event) && isString(body.event.type) ? null : 'an event callback without an event';
  return payloadProblem(body);
}
