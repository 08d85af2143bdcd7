import { randomUUID } from 'node:crypto';
import { ArmError, invalidReference, resourceNotFound } from './errors.ts';
import { objectBody, startOperation, type Ctx, type Reply } from './router.ts';
import { removeResource } from './scale-set-runtime.ts';
import type { ArmState, Group, Resource } from './state.ts';
import type { Json } from './types.ts';

/** How one network resource type is checked and shaped. */
export interface ResourceKind {
  /** Canonical type, e.g. Microsoft.Network/virtualNetworks. */
  type: string;
  /** The stored `properties` for a PUT body: ids filled, references checked (throw ArmError). */
  normalize(ctx: Ctx, id: string, body: Json, previous: Resource | undefined): Json;
  /** Top-level defaults Azure fills in (e.g. a public IP's Basic SKU). */
  defaults?: Json;
  /** Extra fields computed on read (back-references). */
  view?(state: ArmState, resource: Resource): Json;
  /** ARM's code when deleting it while another resource still uses it. */
  inUseCode: string;
}

export function resourceId(subscriptionId: string, group: string, type: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${type}/${name}`;
}

export function etag(): string {
  return `W/"${randomUUID()}"`;
}

/** The resource at the route's sub/group/name, or 404 (group first, as ARM). */
export function found(ctx: Ctx, type: string): { group: Group; resource: Resource } {
  const [subscriptionId = '', groupName = '', name = ''] = ctx.params;
  const group = ctx.state.group(subscriptionId, groupName);
  const resource = ctx.state.resource(resourceId(subscriptionId, group.name, type, name));
  if (!resource) throw resourceNotFound(type, name, group.name);
  return { group, resource };
}

export function viewOf(state: ArmState, kind: ResourceKind, resource: Resource): Json {
  if (!kind.view) return resource.body;
  return {
    ...resource.body,
    properties: { ...(resource.body.properties as Json), ...kind.view(state, resource) },
  };
}

function setProvisioningState(resource: Resource, value: string): void {
  resource.body = {
    ...resource.body,
    properties: { ...(resource.body.properties as Json), provisioningState: value },
  };
}

/** PUT: 201 (new) or 200 (update) with provisioningState Updating and `Azure-AsyncOperation`. */
export function putResource(ctx: Ctx, kind: ResourceKind): Reply {
  const [subscriptionId = '', groupName = '', name = ''] = ctx.params;
  const group = ctx.state.group(subscriptionId, groupName, true);
  const body = objectBody(ctx);
  if (typeof body.location !== 'string' || body.location === '') {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const id = resourceId(subscriptionId, group.name, kind.type, name);
  const previous = ctx.state.resource(id);
  const properties = kind.normalize(ctx, id, body, previous);
  const resource: Resource = {
    id,
    type: kind.type,
    name,
    subscriptionId,
    group: group.name,
    location: body.location,
    body: {
      ...kind.defaults,
      ...body,
      id,
      name,
      type: kind.type,
      etag: etag(),
      properties: {
        ...properties,
        provisioningState: 'Updating',
        resourceGuid: (previous?.body.properties as Json | undefined)?.resourceGuid ?? randomUUID(),
      },
    },
  };
  ctx.state.resources.set(id.toLowerCase(), resource);
  const headers = startOperation(
    ctx,
    subscriptionId,
    { kind: 'provider', namespace: 'Microsoft.Network', location: resource.location },
    {
      complete: () => setProvisioningState(resource, 'Succeeded'),
      fail: () => setProvisioningState(resource, 'Failed'),
    },
    'async',
  );
  return { status: previous ? 200 : 201, headers, body: viewOf(ctx.state, kind, resource) };
}

/** DELETE: 202 with both polling headers; 204 when already gone; 400 while something uses it. */
export function deleteResource(ctx: Ctx, kind: ResourceKind): Reply {
  const [subscriptionId = '', groupName = '', name = ''] = ctx.params;
  const group = ctx.state.group(subscriptionId, groupName);
  const resource = ctx.state.resource(resourceId(subscriptionId, group.name, kind.type, name));
  if (!resource) return { status: 204 };
  const user = ctx.state.referencedBy(resource.id);
  if (user) {
    throw new ArmError(
      400,
      kind.inUseCode,
      `${kind.type.split('/')[1]} ${resource.id} is in use by ${user.id} and cannot be deleted. In order to delete it, remove all resources that reference it.`,
    );
  }
  setProvisioningState(resource, 'Deleting');
  const headers = startOperation(
    ctx,
    subscriptionId,
    { kind: 'provider', namespace: 'Microsoft.Network', location: resource.location },
    {
      complete: () => removeResource(ctx.state, resource),
      fail: () => setProvisioningState(resource, 'Failed'),
    },
    'both',
  );
  return { status: 202, headers };
}

/** GET of a collection in a group: `{ value: [...] }`. */
export function listResources(ctx: Ctx, kind: ResourceKind): Reply {
  const group = ctx.state.group(ctx.params[0] ?? '', ctx.params[1] ?? '');
  const value = ctx.state
    .resourcesIn(group)
    .filter((resource) => resource.type === kind.type)
    .map((resource) => viewOf(ctx.state, kind, resource));
  return { status: 200, body: { value } };
}

/** Fills `id`, `type`, `etag` and provisioningState of each named child (subnets, frontends…). */
export function children(parentId: string, segment: string, type: string, list: unknown): Json[] {
  if (list === undefined) return [];
  if (!Array.isArray(list))
    throw new ArmError(400, 'InvalidRequestFormat', `Property '${segment}' must be an array.`);
  return (list as Json[]).map((child) => {
    if (typeof child.name !== 'string' || child.name === '') {
      throw new ArmError(400, 'InvalidRequestFormat', `Every item of '${segment}' needs a name.`);
    }
    return {
      ...child,
      id: `${parentId}/${segment}/${child.name}`,
      type,
      etag: etag(),
      properties: { ...((child.properties as Json | undefined) ?? {}), provisioningState: 'Succeeded' },
    };
  });
}

/** 400 InvalidResourceReference unless `id` names an existing resource or child (`within` = same body). */
export function checkReference(state: ArmState, id: unknown, by: string, within?: Json[]): void {
  if (id === undefined) return;
  const text = String(id);
  if (within?.some((child) => String(child.id).toLowerCase() === text.toLowerCase())) return;
  const parent = /^(.*\/providers\/[^/]+\/[^/]+\/[^/]+)(\/([^/]+)\/([^/]+))?$/i.exec(text);
  const owner = parent ? state.resource(parent[1] ?? '') : undefined;
  if (owner && !parent?.[2]) return;
  if (owner && parent?.[3]) {
    const list = (owner.body.properties as Json | undefined)?.[parent[3]];
    if (
      Array.isArray(list) &&
      list.some((child: Json) => String(child.id).toLowerCase() === text.toLowerCase())
    )
      return;
  }
  throw invalidReference(text, by);
}
