/**
 * A small evaluator for Okta's `search` / `filter` expressions (a SCIM subset):
 *   profile.login eq "alice@example.com" and (status eq "ACTIVE" or status eq "SUSPENDED")
 * Operators: eq ne sw co ew gt ge lt le pr; `and`, `or`, `not`, parentheses.
 * String comparisons are case-insensitive, as Okta's are for logins. A path through an array
 * (`target.id` on a System Log event) matches when any element does.
 */

type Token = { kind: 'lparen' | 'rparen' } | { kind: 'word'; text: string } | { kind: 'string'; text: string };

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; inner: Node }
  | { kind: 'compare'; attribute: string; op: string; value: unknown };

export type Predicate = (resource: unknown) => boolean;

export class FilterSyntaxError extends Error {}

const COMPARISON_OPS = new Set(['eq', 'ne', 'sw', 'co', 'ew', 'gt', 'ge', 'lt', 'le']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch === '(' ? 'lparen' : 'rparen' });
      i += 1;
    } else if (ch === '"') {
      let text = '';
      i += 1;
      while (i < source.length && source[i] !== '"') {
        if (source[i] === '\\' && i + 1 < source.length) i += 1;
        text += source[i];
        i += 1;
      }
      if (i >= source.length) throw new FilterSyntaxError('unterminated string');
      i += 1;
      tokens.push({ kind: 'string', text });
    } else {
      const match = /^[^\s()"]+/.exec(source.slice(i));
      const text = match?.[0] ?? ch;
      tokens.push({ kind: 'word', text });
      i += text.length;
    }
  }
  return tokens;
}

function literal(token: Token | undefined): unknown {
  if (token?.kind === 'string') return token.text;
  if (token?.kind !== 'word') throw new FilterSyntaxError('value expected');
  if (token.text === 'true') return true;
  if (token.text === 'false') return false;
  if (token.text === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(token.text)) return Number(token.text);
  throw new FilterSyntaxError(`unexpected ${token.text}`);
}

function parse(tokens: Token[]): Node {
  let pos = 0;
  const peekWord = () => {
    const token = tokens[pos];
    return token?.kind === 'word' ? token.text.toLowerCase() : undefined;
  };

  const parseOr = (): Node => {
    let left = parseAnd();
    while (peekWord() === 'or') {
      pos += 1;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseUnary();
    while (peekWord() === 'and') {
      pos += 1;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Node => {
    if (peekWord() === 'not') {
      pos += 1;
      return { kind: 'not', inner: parseUnary() };
    }
    const token = tokens[pos];
    if (token?.kind === 'lparen') {
      pos += 1;
      const inner = parseOr();
      if (tokens[pos]?.kind !== 'rparen') throw new FilterSyntaxError('missing )');
      pos += 1;
      return inner;
    }
    if (token?.kind !== 'word') throw new FilterSyntaxError('attribute expected');
    pos += 1;
    const op = peekWord();
    if (op === 'pr') {
      pos += 1;
      return { kind: 'compare', attribute: token.text, op, value: undefined };
    }
    if (!op || !COMPARISON_OPS.has(op)) throw new FilterSyntaxError(`operator expected after ${token.text}`);
    pos += 1;
    const value = literal(tokens[pos]);
    pos += 1;
    return { kind: 'compare', attribute: token.text, op, value };
  };

  const tree = parseOr();
  if (pos !== tokens.length) throw new FilterSyntaxError('unexpected trailing input');
  return tree;
}

/**
 * The values at a dotted path. An array on the way fans out (System Log `target.id` matches any
 * target), so the result is every value found; a plain path gives at most one.
 */
function valuesAt(resource: unknown, path: string): unknown[] {
  let values: unknown[] = [resource];
  for (const key of path.split('.')) {
    values = values
      .flatMap((value) => (Array.isArray(value) ? value : [value]))
      .map((value) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined));
  }
  return values.flatMap((value) => (Array.isArray(value) ? value : [value]));
}

function normalize(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function compare(actual: unknown, op: string, expected: unknown): boolean {
  if (op === 'pr') return actual !== undefined && actual !== null && actual !== '';
  const a = normalize(actual);
  const b = normalize(expected);
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'sw':
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
    case 'ew':
      return typeof a === 'string' && typeof b === 'string' && a.endsWith(b);
    case 'co':
      return typeof a === 'string' && typeof b === 'string' && a.includes(b);
    default: {
      if (a === undefined || a === null || b === null || b === undefined) return false;
      const [x, y] = [a as string | number, b as string | number];
      if (op === 'gt') return x > y;
      if (op === 'ge') return x >= y;
      if (op === 'lt') return x < y;
      return x <= y;
    }
  }
}

function evaluate(node: Node, resource: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, resource) && evaluate(node.right, resource);
    case 'or':
      return evaluate(node.left, resource) || evaluate(node.right, resource);
    case 'not':
      return !evaluate(node.inner, resource);
    default: {
      const values = valuesAt(resource, node.attribute);
      // `ne` holds when no value equals; every other operator when some value matches.
      if (node.op === 'ne') return !values.some((value) => compare(value, 'eq', node.value));
      return (values.length ? values : [undefined]).some((value) => compare(value, node.op, node.value));
    }
  }
}

/** Compiles an expression; throws FilterSyntaxError on bad input (the route answers 400). */
export function compileFilter(expression: string): Predicate {
  const tree = parse(tokenize(expression));
  return (resource) => evaluate(tree, resource);
}
