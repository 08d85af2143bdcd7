import { randomUUID } from 'node:crypto';
import { ArmError, type ArmErrorBody } from './errors.ts';
import type { Json, OperationFault } from './types.ts';

/** What a long-running operation does when it ends, and how it undoes its start when it fails. */
export interface OperationWork {
  /** Applies the effects (instances started, resource removed…). Throwing an ArmError fails it. */
  complete(): Promise<void> | void;
  /** Leaves the resources as Azure does after a failure (provisioningState Failed…). */
  fail(error: ArmErrorBody): void;
  /** Body of the final GET on the `Location` URL (POST actions with a result). */
  result?: () => Json | undefined;
}

/** One long-running operation, polled through `Azure-AsyncOperation` and/or `Location`. */
export interface Operation {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  pollsLeft: number;
  startTime: string;
  endTime?: string;
  error?: ArmErrorBody;
  injected?: OperationFault;
  work: OperationWork;
  finishing?: Promise<void>;
}

/** How an operation's status URLs look: compute, network, or resource-group (Location only). */
export type OperationStyle =
  | { kind: 'provider'; namespace: 'Microsoft.Compute' | 'Microsoft.Network'; location: string }
  | { kind: 'subscription' };

/** The long-running operations of one fake, and the polling behaviour. */
export class Operations {
  readonly all = new Map<string, Operation>();
  inProgressPolls: number;
  retryAfterInSeconds: number;

  constructor(inProgressPolls: number, retryAfterInSeconds: number) {
    this.inProgressPolls = inProgressPolls;
    this.retryAfterInSeconds = retryAfterInSeconds;
  }

  start(work: OperationWork, injected?: OperationFault): Operation {
    const operation: Operation = {
      id: randomUUID(),
      status: 'InProgress',
      pollsLeft: injected?.afterPolls ?? this.inProgressPolls,
      startTime: new Date().toISOString(),
      work,
      injected,
    };
    this.all.set(operation.id, operation);
    return operation;
  }

  /** Counts a poll; once none are left, runs the work and settles the status. */
  async advance(operation: Operation, force = false): Promise<void> {
    if (operation.status !== 'InProgress') return;
    if (!force && operation.pollsLeft > 0) {
      operation.pollsLeft--;
      return;
    }
    operation.finishing ??= this.finish(operation);
    await operation.finishing;
  }

  async settleAll(): Promise<void> {
    await Promise.all([...this.all.values()].map((operation) => this.advance(operation, true)));
  }

  /** The `Retry-After` header, when polling should carry one. */
  retryAfter(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterInSeconds) };
  }

  private async finish(operation: Operation): Promise<void> {
    if (operation.injected) {
      this.failWith(operation, { code: operation.injected.code, message: operation.injected.message });
      return;
    }
    try {
      await operation.work.complete();
      operation.status = 'Succeeded';
    } catch (error) {
      const body =
        error instanceof ArmError
          ? error.body().error
          : { code: 'InternalServerError', message: error instanceof Error ? error.message : String(error) };
      this.failWith(operation, body);
      return;
    }
    operation.endTime = new Date().toISOString();
  }

  private failWith(operation: Operation, error: ArmErrorBody): void {
    operation.status = 'Failed';
    operation.error = error;
    operation.endTime = new Date().toISOString();
    operation.work.fail(error);
  }
}

/** `Azure-AsyncOperation` and `Location` URLs of an operation, as Azure forms them per provider. */
export function operationUrls(
  baseUrl: string,
  subscriptionId: string,
  style: OperationStyle,
  operation: Operation,
  apiVersion: string,
): { asyncOperation?: string; location: string } {
  const version = `api-version=${encodeURIComponent(apiVersion)}`;
  if (style.kind === 'subscription') {
    return {
      location: `${baseUrl}/subscriptions/${subscriptionId}/operationresults/${operation.id}?${version}`,
    };
  }
  const root = `${baseUrl}/subscriptions/${subscriptionId}/providers/${style.namespace}/locations/${style.location}`;
  if (style.namespace === 'Microsoft.Compute') {
    return {
      asyncOperation: `${root}/operations/${operation.id}?${version}`,
      location: `${root}/operations/${operation.id}?monitor=true&${version}`,
    };
  }
  return {
    asyncOperation: `${root}/operations/${operation.id}?${version}`,
    location: `${root}/operationResults/${operation.id}?${version}`,
  };
}
