// The workflowsPath entry: every workflow Gatehouse registers.
export * from './access-request/workflow';
export * from './reconcile/workflow';
export * from './standing/workflow';
export * from './temporary-account/workflow';
