/**
 * The demo / fixture directory format (config/demo-directory.yaml): the one loader shared by the
 * in-memory fakes (activities/fakes), the emulators (emulators/shared/directory.ts re-exports it)
 * and dev tooling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** config/demo-directory.yaml, resolved from this file so it works from any cwd. */
export const DEMO_DIRECTORY_PATH = join(__dirname, '..', 'config', 'demo-directory.yaml');
/** The emulators' name for the same path. */
export const DEFAULT_DIRECTORY_PATH = DEMO_DIRECTORY_PATH;

const directoryUserSchema = z.object({
  id: z.string().min(1),
  login: z.string().min(1),
  email: z.string().optional(),
  firstName: z.string(),
  lastName: z.string(),
  /** Okta user status; consumers treat absent as ACTIVE. */
  status: z.string().optional(),
  /** Extra Okta profile attributes (department, managerId, …). */
  profile: z.record(z.string(), z.unknown()).optional(),
  slackUserId: z.string().optional(),
});

const directoryGroupSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Logins or Okta ids. */
  members: z.array(z.string()).default([]),
});

const directoryAppSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  /** Logins or Okta ids assigned to the app. */
  users: z.array(z.string()).default([]),
});

/** The seed format shared by the fakes and the three emulators (the shape of config/demo-directory.yaml). */
export const directorySchema = z.object({
  users: z.array(directoryUserSchema).default([]),
  groups: z.array(directoryGroupSchema).default([]),
  apps: z.array(directoryAppSchema).default([]),
  jira: z
    .object({
      projectKey: z.string().min(1),
      projectName: z.string().optional(),
      /** More projects (risk incidents go to their own). */
      projects: z.array(z.object({ key: z.string().min(1), name: z.string().optional() })).default([]),
    })
    .optional(),
  slack: z
    .object({
      teamId: z.string().optional(),
      teamDomain: z.string().optional(),
      channels: z.array(z.string()).default([]),
    })
    .optional(),
});

export type Directory = z.infer<typeof directorySchema>;
export type DirectoryInput = z.input<typeof directorySchema>;
export type DirectoryUserSeed = z.infer<typeof directoryUserSchema>;

export function parseDirectory(input: unknown): Directory {
  return directorySchema.parse(input);
}

export function loadDirectory(file: string = DEMO_DIRECTORY_PATH): Directory {
  return parseDirectory(parseYaml(readFileSync(file, 'utf8')));
}

/** E-mail of a seeded user: the explicit one, else the login (logins are e-mails in the demo). */
export function seedEmail(user: DirectoryUserSeed): string {
  return user.email ?? user.login;
}
