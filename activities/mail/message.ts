/**
 * One structure for every e-mail Gatehouse sends, rendered to plain text and to HTML. In the
 * text, each paragraph, field and link is one line of its own (line breaks in values become
 * spaces), so a reader — or a test — finds `Temporary password: …` at the start of a line, and a
 * value cannot forge a line of its own.
 */
export interface MailContent {
  subject: string;
  heading: string;
  paragraphs?: string[];
  /** `label: value` lines, in order (Login, Temporary password, Valid until…). */
  fields?: Array<{ label: string; value: string }>;
  /** A button in HTML, `label: url` in text; http(s) only. */
  action?: { label: string; url: string };
  footer?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Any run of whitespace holding a line break (or other control characters) becomes one space. */
function oneLine(value: string): string {
  return value
    .replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ')
    .replace(/\p{Cc}/gu, ' ')
    .trim();
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`mail link is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`mail links must be http(s), got ${parsed.protocol}`);
  return parsed.toString();
}

export function renderText(content: MailContent): string {
  const blocks: string[] = [oneLine(content.heading)];
  for (const paragraph of content.paragraphs ?? []) blocks.push(oneLine(paragraph));
  if (content.fields?.length) blocks.push(content.fields.map((f) => `${oneLine(f.label)}: ${oneLine(f.value)}`).join('\n'));
  if (content.action) blocks.push(`${oneLine(content.action.label)}: ${checkedUrl(content.action.url)}`);
  if (content.footer) blocks.push(`-- \n${oneLine(content.footer)}`);
  return `${blocks.join('\n\n')}\n`;
}

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

/** Inline styles and a single-column table: what mail clients render reliably. */
export function renderHtml(content: MailContent): string {
  const e = (value: string) => escapeHtml(oneLine(value));
  const paragraphs = (content.paragraphs ?? []).map((p) => `<p style="margin:0 0 14px;line-height:1.5">${e(p)}</p>`).join('\n');
  const fields = content.fields?.length
    ? `<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px;border-collapse:collapse">\n${content.fields
        .map(
          (f) =>
            `<tr><td style="padding:4px 16px 4px 0;color:#555;vertical-align:top;white-space:nowrap">${e(f.label)}</td><td style="padding:4px 0;font-family:Menlo,Consolas,monospace;word-break:break-all">${e(f.value)}</td></tr>`,
        )
        .join('\n')}\n</table>`
    : '';
  const action = content.action
    ? `<p style="margin:8px 0 20px"><a href="${escapeHtml(checkedUrl(content.action.url))}" style="display:inline-block;padding:10px 18px;background:#1264a3;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:600">${e(content.action.label)}</a></p>`
    : '';
  const footer = content.footer ? `<p style="margin:24px 0 0;color:#777;font-size:12px;line-height:1.4">${e(content.footer)}</p>` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(content.subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td style="padding:24px 12px">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:6px;padding:24px;color:#1d1c1d;font-size:15px;${FONT}">
<h1 style="margin:0 0 16px;font-size:20px">${e(content.heading)}</h1>
${[paragraphs, fields, action, footer].filter(Boolean).join('\n')}
</div>
</td></tr></table>
</body></html>
`;
}

/** Subject, text and HTML, ready for MailPort.send. */
export function renderMail(content: MailContent): RenderedMail {
  return { subject: oneLine(content.subject), text: renderText(content), html: renderHtml(content) };
}
