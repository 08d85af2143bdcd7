import { randomUUID } from 'node:crypto';
import { ArmError, resourceNotFound } from './errors.ts';
import { resourceId } from './resources.ts';
import { GROUP, objectBody, route, startOperation, type Ctx, type Reply, type Route } from './router.ts';
import { checkModel, checkQuota, merge, publicModel, VMSS, withNicDefaults } from './scale-set-model.ts';
import { addInstances, dig, removeResource, startInstances, stopInstances } from './scale-set-runtime.ts';
import type { Instance, Resource, ScaleSetRuntime } from './state.ts';
import type { Json } from './types.ts';

export const SCALE_SET = `${GROUP}/providers/Microsoft\\.Compute/virtualMachineScaleSets/([^/]+)`;

/** The scale set at the route's sub/group/name, or 404. */
export function scaleSetOf(ctx: Ctx): ScaleSetRuntime {
  const [subscriptionId = '', groupName = '', name = ''] = ctx.params;
  const group = ctx.state.group(subscriptionId, groupName);
  const runtime = ctx.state.scaleSets.get(resourceId(subscriptionId, group.name, VMSS, name).toLowerCase());
  if (!runtime) throw resourceNotFound(VMSS, name, group.name);
  return runtime;
}

function computeStyle(resource: Resource) {
  return { kind: 'provider', namespace: 'Microsoft.Compute', location: resource.location } as const;
}

function live(runtime: ScaleSetRuntime): Instance[] {
  return [...runtime.instances.values()]
    .filter((instance) => instance.provisioningState !== 'Deleting')
    .sort((a, b) => Number(a.instanceId) - Number(b.instanceId));
}

function setState(runtime: ScaleSetRuntime, provisioningState: string): void {
  const body = runtime.resource.body;
  runtime.resource.body = { ...body, properties: { ...(body.properties as Json), provisioningState } };
}

/** PUT (and PATCH, merged onto the model): 201 Creating / 200 Updating with `Azure-AsyncOperation`. */
function putScaleSet(ctx: Ctx, patch: boolean): Reply {
  const [subscriptionId = '', groupName = '', name = ''] = ctx.params;
  const group = ctx.state.group(subscriptionId, groupName, true);
  const id = resourceId(subscriptionId, group.name, VMSS, name);
  const known = ctx.state.scaleSets.get(id.toLowerCase());
  if (patch && !known) throw resourceNotFound(VMSS, name, group.name);
  const sent = objectBody(ctx);
  const body = withNicDefaults(patch && known ? merge(known.resource.body, sent) : sent);
  if (typeof body.location !== 'string' || body.location === '') {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const capacity = checkModel(ctx.state, id, body, known?.resource);
  const current = known ? live(known) : [];
  const growth = Math.max(0, capacity - current.length);
  checkQuota(ctx.state, subscriptionId, body.location, String(dig(body, 'sku', 'name')), growth);
  const previous = (known?.resource.body.properties ?? {}) as Json;
  const resource: Resource = {
    id,
    type: VMSS,
    name,
    subscriptionId,
    group: group.name,
    location: body.location,
    body: {
      ...body,
      id,
      name,
      type: VMSS,
      properties: {
        singlePlacementGroup: true,
        overprovision: true,
        ...(body.properties as Json),
        uniqueId: previous.uniqueId ?? randomUUID(),
        timeCreated: previous.timeCreated ?? new Date().toISOString(),
        provisioningState: known ? 'Updating' : 'Creating',
      },
    },
  };
  const runtime: ScaleSetRuntime = known ?? { instances: new Map(), nextInstanceId: 0, resource };
  runtime.resource = resource;
  ctx.state.resources.set(id.toLowerCase(), resource);
  ctx.state.scaleSets.set(id.toLowerCase(), runtime);
  const overprovision = dig(resource.body, 'properties', 'overprovision') !== false;
  const added = addInstances(ctx.state, runtime, growth, overprovision);
  const doomed = current.slice(capacity);
  for (const instance of doomed) instance.provisioningState = 'Deleting';
  const headers = startOperation(
    ctx,
    subscriptionId,
    computeStyle(resource),
    {
      complete: async () => {
        await stopInstances(ctx.state, runtime, doomed, 'delete');
        await startInstances(ctx.state, runtime, added);
        setState(runtime, 'Succeeded');
      },
      fail: () => {
        setState(runtime, 'Failed');
        for (const instance of added)
          if (instance.powerState !== 'running') instance.provisioningState = 'Failed';
        for (const instance of doomed)
          if (runtime.instances.has(instance.instanceId)) instance.provisioningState = 'Succeeded';
      },
    },
    'async',
  );
  return { status: known ? 200 : 201, headers, body: publicModel(resource, false) };
}

function deleteScaleSet(ctx: Ctx): Reply {
  let runtime: ScaleSetRuntime;
  try {
    runtime = scaleSetOf(ctx);
  } catch (error) {
    if (error instanceof ArmError && error.code === 'ResourceNotFound') return { status: 204 };
    throw error;
  }
  setState(runtime, 'Deleting');
  for (const instance of runtime.instances.values()) instance.provisioningState = 'Deleting';
  const headers = startOperation(
    ctx,
    runtime.resource.subscriptionId,
    computeStyle(runtime.resource),
    {
      complete: () => removeResource(ctx.state, runtime.resource),
      fail: () => setState(runtime, 'Failed'),
    },
    'both',
  );
  return { status: 202, headers };
}

type Action = 'deallocate' | 'start' | 'poweroff' | 'restart' | 'delete';

/** The instances an action names (`instanceIds`, `*` or none = all), or 400 for unknown ids. */
function targets(ctx: Ctx, runtime: ScaleSetRuntime, ids: string[] | undefined): Instance[] {
  const all = live(runtime);
  if (!ids || ids.includes('*')) return all;
  return ids.map((id) => {
    const instance = all.find((candidate) => candidate.instanceId === id);
    if (!instance) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The provided instanceId ${id} is not an active Virtual Machine Scale Set VM instanceId.`,
        'instanceIds',
      );
    }
    return instance;
  });
}

/** POST deallocate / start / powerOff / restart / delete (instances): 202 with both polling headers. */
export function scaleSetAction(ctx: Ctx, action: Action, instanceId?: string): Reply {
  const runtime = scaleSetOf(ctx);
  const sent = ctx.body === undefined ? {} : objectBody(ctx);
  const ids = instanceId !== undefined ? [instanceId] : (sent.instanceIds as string[] | undefined);
  if (action === 'delete' && instanceId === undefined && !Array.isArray(sent.instanceIds)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      "Required parameter 'instanceIds' is missing (null).",
      'instanceIds',
    );
  }
  const chosen = targets(ctx, runtime, ids);
  const { resource } = runtime;
  if (action === 'start') {
    const waking = chosen.filter((instance) => instance.powerState === 'deallocated').length;
    checkQuota(
      ctx.state,
      resource.subscriptionId,
      resource.location,
      String(dig(resource.body, 'sku', 'name')),
      waking,
    );
  }
  const before = new Map(chosen.map((instance) => [instance, instance.powerState] as const));
  const transient = {
    deallocate: 'deallocating',
    start: 'starting',
    poweroff: 'stopping',
    restart: 'starting',
  } as const;
  for (const instance of chosen) {
    if (action === 'delete') instance.provisioningState = 'Deleting';
    else instance.powerState = transient[action];
  }
  if (action === 'delete') {
    const capacity = Number(dig(resource.body, 'sku', 'capacity') ?? 0) - chosen.length;
    resource.body = { ...resource.body, sku: { ...(resource.body.sku as Json), capacity } };
  }
  const headers = startOperation(
    ctx,
    resource.subscriptionId,
    computeStyle(resource),
    {
      complete: async () => {
        if (action === 'deallocate') await stopInstances(ctx.state, runtime, chosen, 'deallocate');
        if (action === 'poweroff' || action === 'restart') {
          await stopInstances(ctx.state, runtime, chosen, 'powerOff');
        }
        if (action === 'start' || action === 'restart') await startInstances(ctx.state, runtime, chosen);
        if (action === 'delete') await stopInstances(ctx.state, runtime, chosen, 'delete');
      },
      fail: () => {
        for (const [instance, powerState] of before) {
          instance.powerState = powerState;
          if (instance.provisioningState === 'Deleting') instance.provisioningState = 'Succeeded';
        }
      },
    },
    'both',
  );
  return { status: 202, headers };
}

export const scaleSetRoutes: Route[] = [
  route('PUT', SCALE_SET, (ctx) => putScaleSet(ctx, false)),
  route('PATCH', SCALE_SET, (ctx) => putScaleSet(ctx, true)),
  route('GET', SCALE_SET, (ctx) => ({
    status: 200,
    body: publicModel(scaleSetOf(ctx).resource, ctx.query.get('$expand') === 'userData'),
  })),
  route('DELETE', SCALE_SET, deleteScaleSet),
  route('GET', `${GROUP}/providers/Microsoft\\.Compute/virtualMachineScaleSets`, (ctx) => {
    const group = ctx.state.group(ctx.params[0] ?? '', ctx.params[1] ?? '');
    const value = ctx.state
      .resourcesIn(group)
      .filter((resource) => resource.type === VMSS)
      .map((resource) => publicModel(resource, false));
    return { status: 200, body: { value } };
  }),
  ...(['deallocate', 'start', 'poweroff', 'restart', 'delete'] as const).map((action) =>
    route('POST', `${SCALE_SET}/${action}`, (ctx) => scaleSetAction(ctx, action)),
  ),
];
