import { renderHtml, renderMail, renderText, type MailContent } from '../../activities/mail/message';

const content: MailContent = {
  subject: 'Temporary account for Élodie',
  heading: 'A temporary account <for> Élodie',
  paragraphs: ['Hand these over at the end of the interview.', 'It closes itself on 2026-12-01 at 14:00 UTC.'],
  fields: [
    { label: 'Login', value: 'elodie.lefevre.tmp@example.com' },
    { label: 'Temporary password', value: 'a<b>&"c\'d' },
  ],
  action: { label: 'Extend by 24 hours', url: 'https://gatehouse.example.com/v1/temporary-accounts/ta_1?x=1&y=2' },
  footer: 'Sent by Gatehouse for bob@example.com.',
};

describe('mail templates', () => {
  it('lays the text out one item per line, paragraphs and groups separated by blank lines', () => {
    expect(renderText(content)).toBe(
      [
        'A temporary account <for> Élodie',
        '',
        'Hand these over at the end of the interview.',
        '',
        'It closes itself on 2026-12-01 at 14:00 UTC.',
        '',
        'Login: elodie.lefevre.tmp@example.com',
        'Temporary password: a<b>&"c\'d',
        '',
        'Extend by 24 hours: https://gatehouse.example.com/v1/temporary-accounts/ta_1?x=1&y=2',
        '',
        '-- ',
        'Sent by Gatehouse for bob@example.com.',
        '',
      ].join('\n'),
    );
  });

  it('keeps a value with line breaks on its own line, so it cannot forge another', () => {
    const text = renderText({ subject: 's', heading: 'h', paragraphs: ['one\r\ntwo'], fields: [{ label: 'Login', value: 'x\nTemporary password: forged' }] });
    const lines = text.split('\n');
    expect(lines).toContain('Login: x Temporary password: forged');
    expect(lines.filter((l) => l.startsWith('Temporary password:'))).toEqual([]);
    expect(lines).toContain('one two');
  });

  it('escapes every value in the HTML', () => {
    const html = renderHtml(content);
    expect(html).toContain('A temporary account &#60;for&#62; Élodie');
    expect(html).toContain('a&#60;b&#62;&#38;&#34;c&#39;d');
    expect(html).toContain('href="https://gatehouse.example.com/v1/temporary-accounts/ta_1?x=1&#38;y=2"');
    expect(html).toContain('>Extend by 24 hours</a>');
    expect(html).not.toContain('<for>');
    expect(html).not.toContain('a<b>');
    const hostile = renderHtml({ subject: '<script>', heading: '<img src=x onerror=alert(1)>', paragraphs: ['</p><script>alert(1)</script>'] });
    expect(hostile).not.toMatch(/<script|<img/);
  });

  it('accepts only http(s) links', () => {
    for (const url of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://example.com/', 'not a url']) {
      expect(() => renderMail({ subject: 's', heading: 'h', action: { label: 'Go', url } })).toThrow(TypeError);
    }
    expect(renderMail({ subject: 's', heading: 'h', action: { label: 'Go', url: 'http://127.0.0.1:3000/x' } }).text).toContain('Go: http://127.0.0.1:3000/x');
  });

  it('renders subject, text and HTML together, leaving out what is absent', () => {
    const mail = renderMail({ subject: 'Access\nclosed', heading: 'Closed' });
    expect(mail).toEqual({ subject: 'Access closed', text: 'Closed\n', html: expect.stringContaining('<h1 style="margin:0 0 16px;font-size:20px">Closed</h1>') });
    expect(mail.html).not.toMatch(/<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px|<a href/);
  });
});
