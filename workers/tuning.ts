/**
 * Worker tuning: every value explicit, from the settings (defaults and reasons in README "Worker
 * and server tuning"). The bench's bare comparison worker runs with the same values.
 */
import type { WorkerOptions } from '@temporalio/worker';
import { settingsSchema, type Settings } from '../activities/settings';

const KEYS = {
  GATEHOUSE_MAX_CACHED_WORKFLOWS: true,
  GATEHOUSE_MAX_CONCURRENT_WORKFLOW_TASKS: true,
  GATEHOUSE_MAX_CONCURRENT_ACTIVITIES: true,
  GATEHOUSE_WORKFLOW_TASK_POLLERS: true,
  GATEHOUSE_ACTIVITY_TASK_POLLERS: true,
  GATEHOUSE_STICKY_TIMEOUT_MS: true,
} as const;

export type Tuning = Pick<Settings, keyof typeof KEYS>;

export function workerTuning(s: Tuning): Partial<WorkerOptions> {
  return {
    maxCachedWorkflows: s.GATEHOUSE_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: s.GATEHOUSE_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: s.GATEHOUSE_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskPolls: s.GATEHOUSE_WORKFLOW_TASK_POLLERS,
    maxConcurrentActivityTaskPolls: s.GATEHOUSE_ACTIVITY_TASK_POLLERS,
    stickyQueueScheduleToStartTimeout: s.GATEHOUSE_STICKY_TIMEOUT_MS,
  };
}

/** The tuning alone, read from the environment (for a worker that has no other Gatehouse settings). */
export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<WorkerOptions> {
  return workerTuning(settingsSchema.pick(KEYS).parse(env));
}
