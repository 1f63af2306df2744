import { createHmac } from 'node:crypto';

/** Slack's v0 request signature: HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret. */
export function slackSignature(signingSecret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface AppResponse {
  status: number;
  body: unknown;
}

/**
 * POSTs a body to the app exactly as Slack does: form-encoded (events: JSON) with no charset (Bolt
 * answers 400 otherwise), X-Slack-Request-Timestamp and X-Slack-Signature over the raw bytes.
 */
export async function postSignedToApp(url: string, signingSecret: string, rawBody: string, contentType = 'application/x-www-form-urlencoded'): Promise<AppResponse> {
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': slackSignature(signingSecret, timestamp, rawBody),
      'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
    body: rawBody,
    redirect: 'manual',
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : '';
  } catch {
    // Not JSON (ack() with no body answers an empty 200): keep the text.
  }
  return { status: response.status, body };
}

/** `payload=<urlencoded JSON>`, the body of every interactivity request. */
export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
