/**
 * Just enough Atlassian Document Format for the emulator: validate the v3 shape, turn a v2 wiki
 * string into a document, and flatten a document to text for pages and v2 answers.
 */
export interface AdfNode {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  version?: number;
}

export function isAdfDocument(value: unknown): value is AdfNode {
  if (!value || typeof value !== 'object') return false;
  const doc = value as AdfNode;
  return doc.type === 'doc' && doc.version === 1 && Array.isArray(doc.content);
}

export function plainTextToAdf(text: string): AdfNode {
  const paragraphs = text.split(/\n{2,}/).filter((part) => part.length > 0);
  return {
    type: 'doc',
    version: 1,
    content: paragraphs.map((paragraph) => ({ type: 'paragraph', content: [{ type: 'text', text: paragraph }] })),
  };
}

const BLOCK_TYPES = new Set(['paragraph', 'heading', 'listItem', 'codeBlock', 'blockquote', 'rule']);

export function adfToText(node: AdfNode | null | undefined): string {
  if (!node) return '';
  if (node.type === 'text') return node.text ?? '';
  if (node.type === 'hardBreak') return '\n';
  if (node.type === 'mention') return String(node.attrs?.text ?? '@someone');
  const inner = (node.content ?? []).map(adfToText).join('');
  return BLOCK_TYPES.has(node.type) ? `${inner}\n` : inner;
}
