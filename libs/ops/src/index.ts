export { buildOpsServer, type OpsServerOptions } from './ops-server.ts';
export {
  runReadinessChecks,
  checkResultSchema,
  READY_CHECK_TIMEOUT_MS,
  type CheckResult,
  type ReadinessReport,
} from './readiness.ts';
export { withTimeout } from './with-timeout.ts';
