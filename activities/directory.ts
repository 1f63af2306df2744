/** The demo / fixture directory format (config/demo-directory.yaml), shared by fakes and dev tooling. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

const directorySchema = z.object({
  users: z.array(
    z.object({
      id: z.string(),
      login: z.string(),
      email: z.string().optional(),
      firstName: z.string(),
      lastName: z.string(),
      status: z.string().default('ACTIVE'),
      profile: z.record(z.string(), z.unknown()).default({}),
      slackUserId: z.string().optional(),
    }),
  ),
  groups: z.array(z.object({ id: z.string(), name: z.string(), description: z.string().optional(), members: z.array(z.string()).default([]) })),
  apps: z.array(z.object({ id: z.string(), label: z.string() })).default([]),
  jira: z.object({ projectKey: z.string() }).default({ projectKey: 'GATE' }),
  slack: z.object({ teamId: z.string(), channels: z.array(z.string()).default([]) }).default({ teamId: 'T_GATEHOUSE', channels: [] }),
});
export type Directory = z.infer<typeof directorySchema>;

export const DEMO_DIRECTORY_PATH = join(__dirname, '..', 'config', 'demo-directory.yaml');

export function loadDirectory(file = DEMO_DIRECTORY_PATH): Directory {
  return directorySchema.parse(parse(readFileSync(file, 'utf8')));
}
