// The target of the ops commands is the one target of every command: scripts/cli/target.ts.
export {
  OpsError,
  resolveTarget,
  workflowName,
  type StateMachineRef,
  type Target,
  type TargetOptions,
} from '../cli/target';
