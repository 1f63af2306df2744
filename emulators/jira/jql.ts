import { STATUSES, type JiraIssue } from './state';

/**
 * A JQL subset, enough for Gatehouse and for poking around by hand:
 *   project = GATE AND labels = "gatehouse-01H…" AND status != Done ORDER BY created DESC
 * Clauses joined by AND; operators =, !=, in (…), not in (…), and ~ (contains) on summary;
 * fields project, labels, status, key/issuekey, issuetype/type, summary. ORDER BY is ignored.
 */
export class JqlError extends Error {}

type Matcher = (issue: JiraIssue) => boolean;

/** Splits on a keyword (AND, commas) outside quotes. */
function splitOutsideQuotes(source: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (quote) {
      if (ch === '\\' && i + 1 < source.length) {
        current += ch + source[i + 1];
        i += 2;
        continue;
      }
      if (ch === quote) quote = null;
      current += ch;
      i += 1;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
      i += 1;
      continue;
    }
    const match = separator.exec(source.slice(i));
    if (match && match.index === 0) {
      parts.push(current);
      current = '';
      i += match[0].length;
      continue;
    }
    current += ch;
    i += 1;
  }
  if (quote) throw new JqlError('Error in the JQL Query: unterminated quote.');
  parts.push(current);
  return parts.map((part) => part.trim());
}

function unquote(raw: string): string {
  const value = raw.trim();
  const quoted = /^(["'])(.*)\1$/s.exec(value);
  if (quoted) return (quoted[2] ?? '').replace(/\\(.)/g, '$1');
  if (!value || /\s/.test(value)) throw new JqlError(`Error in the JQL Query: expecting a value but got '${value}'.`);
  return value;
}

function fieldValues(issue: JiraIssue, field: string): string[] {
  switch (field) {
    case 'project':
      return [issue.projectKey.toLowerCase()];
    case 'labels':
      return issue.labels;
    case 'status':
      return [STATUSES[issue.status].name.toLowerCase(), STATUSES[issue.status].id];
    case 'key':
    case 'issuekey':
      return [issue.key.toLowerCase(), issue.id];
    case 'issuetype':
    case 'type':
      return [issue.issueType.name.toLowerCase(), issue.issueType.id];
    default:
      return [issue.summary.toLowerCase()];
  }
}

const KNOWN_FIELDS = new Set(['project', 'labels', 'status', 'key', 'issuekey', 'issuetype', 'type', 'summary']);

function compileClause(clause: string): Matcher {
  const match = /^([A-Za-z]+)\s*(!=|=|~|\bnot\s+in\b|\bin\b)\s*(.+)$/is.exec(clause);
  if (!match) throw new JqlError(`Error in the JQL Query: cannot parse '${clause}'.`);
  const field = (match[1] ?? '').toLowerCase();
  const op = (match[2] ?? '').toLowerCase().replace(/\s+/g, ' ');
  const rawValue = match[3] ?? '';
  if (!KNOWN_FIELDS.has(field)) throw new JqlError(`Field '${match[1]}' does not exist or you do not have permission to view it.`);
  // Labels are case-sensitive in Jira; the other fields here are not.
  const normalize = (value: string) => (field === 'labels' ? value : value.toLowerCase());

  if (op === '~') {
    if (field !== 'summary') throw new JqlError(`The operator '~' is not supported by the '${field}' field.`);
    const needle = unquote(rawValue).toLowerCase();
    return (issue) => issue.summary.toLowerCase().includes(needle);
  }
  if (op === 'in' || op === 'not in') {
    const list = /^\((.*)\)$/s.exec(rawValue.trim());
    if (!list) throw new JqlError(`Error in the JQL Query: expecting '(' after '${op}'.`);
    const wanted = splitOutsideQuotes(list[1] ?? '', /^,/).map((value) => normalize(unquote(value)));
    const matches: Matcher = (issue) => fieldValues(issue, field).some((value) => wanted.includes(value));
    return op === 'in' ? matches : (issue) => !matches(issue);
  }
  const wanted = normalize(unquote(rawValue));
  const matches: Matcher = (issue) => fieldValues(issue, field).includes(wanted);
  return op === '=' ? matches : (issue) => !matches(issue);
}

export function compileJql(jql: string): Matcher {
  const [where = ''] = splitOutsideQuotes(` ${jql}`, /^\s+order\s+by\s+/i);
  if (!where.trim()) return () => true;
  if (splitOutsideQuotes(where, /^\s+or\s+/i).length > 1) throw new JqlError('Error in the JQL Query: OR is not supported by the emulator.');
  const matchers = splitOutsideQuotes(where, /^\s+and\s+/i).map(compileClause);
  return (issue) => matchers.every((matches) => matches(issue));
}
