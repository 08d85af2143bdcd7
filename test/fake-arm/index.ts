export { startFakeArm } from './server.ts';
export {
  FAST_POLL,
  fakeArmClientOptions,
  fakeArmClients,
  fakeTokenCredential,
  type FakeArmClientOptions,
  type FakeTokenCredential,
} from './client-options.ts';
export {
  InMemoryMachineHost,
  machineKey,
  type HostedMachine,
  type MachineHost,
  type MachineSpec,
  type MachineStopReason,
} from './machine-host.ts';
export { MAX_CUSTOM_DATA_BASE64_CHARS, RESERVED_ADMIN_USERNAMES, VM_SIZES } from './compute-rules.ts';
export { DEFAULT_SUBSCRIPTION_ID, FAKE_ARM_TOKEN } from './state.ts';
export type {
  FakeArm,
  FakeArmOptions,
  HttpFault,
  OperationFault,
  PowerState,
  RequestMatcher,
  RequestRecord,
  VmSizeInfo,
} from './types.ts';
