// The workflowsPath entry: every workflow Gatehouse registers.
export * from './access-request/workflow';
export * from './reconcile/workflow';
export * from './standing/workflow';
export * from './temporary-account/workflow';
export * from './risk/risk-event';
export * from './risk/user-risk';
export * from './risk/access-review';
