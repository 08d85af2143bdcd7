import type { MachineHost } from './machine-host.ts';

/** A JSON object as it travels on the wire (ARM's shape, with `properties`). */
export type Json = Record<string, unknown>;

/** A VM size the fake knows: its quota family and cores, as Azure's resource SKUs list them. */
export interface VmSizeInfo {
  /** Quota family as compute usages name it, e.g. standardHBrsv3Family. */
  family: string;
  /** vCPUs per VM: what one instance takes from the family and regional quota. */
  vCpus: number;
}

/** Options of `startFakeArm`. All optional. */
export interface FakeArmOptions {
  /** Subscriptions that exist; others answer 404 SubscriptionNotFound. Default one all-zero id. */
  subscriptionIds?: string[];
  /** The bearer token the fake accepts. Default `FAKE_ARM_TOKEN` (what `fakeTokenCredential` issues). */
  token?: string;
  /** Status polls answered InProgress before an operation ends. Default 1. */
  inProgressPolls?: number;
  /** `Retry-After` on 202s and InProgress polls, in seconds. Default 0 (the SDK then uses its own interval). */
  retryAfterInSeconds?: number;
  /** vCPU limits per quota family (`cores` = Total Regional vCPUs), the same in every region. */
  quotas?: Record<string, number>;
  /** Extra or overriding VM sizes. */
  vmSizes?: Record<string, VmSizeInfo>;
  /** Where instances run. Default a new `InMemoryMachineHost`. */
  machineHost?: MachineHost;
}

/** One request as the fake saw it. */
export interface RequestRecord {
  method: string;
  /** Decoded path without the query, as sent (ARM ids keep their case). */
  path: string;
  /** The `api-version` query value, or null when missing. */
  apiVersion: string | null;
  /** Status the fake answered. */
  status: number;
  /** ARM error code when the answer was an error. */
  errorCode?: string;
  /** True when a fault rule produced the answer. */
  injected: boolean;
  /** Epoch milliseconds when the request arrived. */
  atMs: number;
}

/** Matches requests: `path` is a case-insensitive substring or a RegExp tested on the decoded path. */
export interface RequestMatcher {
  /** HTTP method; any when omitted. */
  method?: string;
  /** Any path when omitted. */
  path?: string | RegExp;
}

/** An HTTP error the fake answers instead of handling the request. */
export interface HttpFault extends RequestMatcher {
  /** 429, 500, 503, … */
  status: number;
  /** Sets `Retry-After` (seconds) when given; omitted otherwise. */
  retryAfterInSeconds?: number;
  /** ARM error code; default by status (SubscriptionRequestsThrottled, InternalServerError, ServiceUnavailable). */
  code?: string;
  message?: string;
  /** How many matching requests get it. Default 1. */
  times?: number;
}

/** A long-running operation that is accepted, then ends `Failed` with this error. */
export interface OperationFault extends RequestMatcher {
  code: string;
  message: string;
  /** InProgress polls before it fails; default the fake's `inProgressPolls`. */
  afterPolls?: number;
  /** How many matching operations fail. Default 1. */
  times?: number;
}

/** Scale-set instance states the fake reports. */
export type PowerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

/** The running fake. */
export interface FakeArm {
  /** `https://127.0.0.1:<port>`: the ARM endpoint for SDK clients. */
  url: string;
  /** The PEM certificate clients must trust (`tlsOptions.ca`). */
  certPem: string;
  /** That certificate on disk, for `NODE_EXTRA_CA_CERTS` of a spawned process. */
  certPath: string;
  /** The first subscription id. */
  subscriptionId: string;
  /** The bearer token the fake accepts. */
  token: string;
  /** Where instances run. */
  machineHost: MachineHost;
  /** Every request, in arrival order. */
  requests: RequestRecord[];
  /** Requests matching `matcher` (all when omitted). */
  count(matcher?: RequestMatcher): number;
  /** Queue an HTTP fault (429/500/503…). */
  failRequest(fault: HttpFault): void;
  /** Queue a long-running operation that ends `Failed`. */
  failOperation(fault: OperationFault): void;
  /** Change polling behaviour at run time. */
  setLro(settings: { inProgressPolls?: number; retryAfterInSeconds?: number }): void;
  /** Set a quota family's vCPU limit (`cores` = regional total). */
  setQuota(family: string, limit: number): void;
  /** Finish every pending operation now, as time passing would. */
  settle(): Promise<void>;
  /** Ids of every resource group and resource the fake holds (lower-cased groups keep their case). */
  resourceIds(): string[];
  /** Power state of each instance of a scale set, by instance id. */
  instances(
    group: string,
    scaleSet: string,
  ): { instanceId: string; powerState: PowerState; privateIp: string }[];
  close(): Promise<void>;
}
