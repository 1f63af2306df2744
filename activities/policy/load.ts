import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { type z } from 'zod';
import { policySchema, resourceKeyProblem, type Policy } from './schema';

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid policy ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

/** Parses and validates policy YAML; throws a PolicyError listing every problem at once. */
export function parsePolicy(text: string, file = 'policy.yaml'): Policy {
  const docs = parseAllDocuments(text);
  const doc = Array.isArray(docs) ? docs[0] : docs;
  const yamlErrors = doc?.errors ?? [];
  if (yamlErrors.length > 0) {
    throw new PolicyError(file, yamlErrors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const raw: unknown = doc?.toJS() ?? {};
  const result = policySchema.safeParse(raw);
  if (!result.success) {
    // zod skips the key rule while a resource has errors; check keys here too so nothing hides.
    const resources = (raw as { resources?: unknown }).resources;
    const keyProblems =
      resources && typeof resources === 'object'
        ? Object.keys(resources).flatMap((k) => {
            const p = resourceKeyProblem(k);
            return p ? [`resources.${k}: ${p}`] : [];
          })
        : [];
    throw new PolicyError(file, [...new Set([...formatIssues(result.error), ...keyProblems])]);
  }
  return result.data;
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parsePolicy(text, file);
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
}
