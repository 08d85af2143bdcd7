import { ArmError } from './errors.ts';
import { objectBody, route, startOperation, type Ctx, type Reply, type Route } from './router.ts';
import { removeResource } from './scale-set-runtime.ts';
import { groupKey, type Group } from './state.ts';
import type { Json } from './types.ts';

const GROUP_PATH = '^/subscriptions/([^/]+)/resourcegroups/([^/]+)';
const FORCE_DELETION_TYPES = [
  'microsoft.compute/virtualmachines',
  'microsoft.compute/virtualmachinescalesets',
];

/** Resource groups: create, read, head, tag, list with a tag `$filter`, delete with everything inside. */
export const resourceGroupRoutes: Route[] = [
  route('PUT', GROUP_PATH, putGroup),
  route('GET', GROUP_PATH, (ctx) => ({ status: 200, body: groupBody(existing(ctx)) })),
  route('HEAD', GROUP_PATH, (ctx) => {
    ctx.state.checkSubscription(ctx.params[0] ?? '');
    return { status: ctx.state.findGroup(ctx.params[0] ?? '', ctx.params[1] ?? '') ? 204 : 404 };
  }),
  route('PATCH', GROUP_PATH, (ctx) => {
    const group = existing(ctx);
    const tags = objectBody(ctx).tags;
    if (tags && typeof tags === 'object') group.tags = { ...(tags as Record<string, string>) };
    return { status: 200, body: groupBody(group) };
  }),
  route('DELETE', GROUP_PATH, deleteGroup),
  route('GET', '^/subscriptions/([^/]+)/resourcegroups', listGroups),
  route('GET', `${GROUP_PATH}/resources`, (ctx) => {
    const group = existing(ctx);
    const value = ctx.state.resourcesIn(group).map((resource) => ({
      id: resource.id,
      name: resource.name,
      type: resource.type,
      location: resource.location,
      ...(resource.body.tags ? { tags: resource.body.tags } : {}),
    }));
    return { status: 200, body: { value } };
  }),
];

function existing(ctx: Ctx): Group {
  return ctx.state.group(ctx.params[0] ?? '', ctx.params[1] ?? '');
}

function putGroup(ctx: Ctx): Reply {
  const [subscriptionId = '', name = ''] = ctx.params;
  ctx.state.checkSubscription(subscriptionId);
  const body = objectBody(ctx);
  if (!/^[-\w._()]{1,90}$/u.test(name) || name.endsWith('.')) {
    throw new ArmError(
      400,
      'InvalidResourceGroupName',
      `The resource group name '${name}' is invalid. It can contain alphanumerics, underscores, parentheses, hyphens and periods, may not end in a period, and is at most 90 characters.`,
    );
  }
  const location = body.location;
  if (typeof location !== 'string' || location === '') {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const tags = (body.tags as Record<string, string> | undefined) ?? {};
  const known = ctx.state.findGroup(subscriptionId, name);
  if (known) {
    if (known.state === 'Deleting') ctx.state.group(subscriptionId, name, true);
    if (known.location.toLowerCase() !== location.toLowerCase()) {
      throw new ArmError(
        409,
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${location}'. The Resource group already exists in location '${known.location}'.`,
      );
    }
    known.tags = { ...tags };
    return { status: 200, body: groupBody(known) };
  }
  const group: Group = {
    subscriptionId,
    name,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${name}`,
    location,
    tags: { ...tags },
    state: 'Succeeded',
  };
  ctx.state.groups.set(groupKey(subscriptionId, name), group);
  return { status: 201, body: groupBody(group) };
}

function deleteGroup(ctx: Ctx): Reply {
  const [subscriptionId = '', name = ''] = ctx.params;
  const group = existing(ctx);
  const force = ctx.query.get('forceDeletionTypes');
  if (force !== null) {
    const unknown = force
      .split(',')
      .filter((type) => !FORCE_DELETION_TYPES.includes(type.trim().toLowerCase()));
    if (unknown.length > 0 || force === '') {
      throw new ArmError(
        400,
        'InvalidForceDeletionTypes',
        `The value '${force}' of forceDeletionTypes is not supported. Supported values: Microsoft.Compute/virtualMachines, Microsoft.Compute/virtualMachineScaleSets.`,
      );
    }
  }
  group.state = 'Deleting';
  const headers = startOperation(
    ctx,
    subscriptionId,
    { kind: 'subscription' },
    {
      complete: async () => {
        await Promise.all(
          ctx.state.resourcesIn(group).map((resource) => removeResource(ctx.state, resource)),
        );
        ctx.state.groups.delete(groupKey(subscriptionId, name));
      },
      fail: () => {
        group.state = 'Succeeded';
      },
    },
    'location',
  );
  return { status: 202, headers };
}

function listGroups(ctx: Ctx): Reply {
  const subscriptionId = ctx.params[0] ?? '';
  ctx.state.checkSubscription(subscriptionId);
  const filter = parseTagFilter(ctx.query.get('$filter'));
  const top = Number(ctx.query.get('$top') ?? Number.POSITIVE_INFINITY);
  const value = [...ctx.state.groups.values()]
    .filter((group) => group.subscriptionId.toLowerCase() === subscriptionId.toLowerCase())
    .filter((group) => filter(group.tags))
    .slice(0, top)
    .map(groupBody);
  return { status: 200, body: { value } };
}

/** `tagName eq 'x'` and `tagName eq 'x' and tagValue eq 'y'`: tag names case-insensitive, values not. */
function parseTagFilter(filter: string | null): (tags: Record<string, string>) => boolean {
  if (filter === null || filter.trim() === '') return () => true;
  const match = /^\s*tagname\s+eq\s+'((?:[^']|'')*)'(?:\s+and\s+tagvalue\s+eq\s+'((?:[^']|'')*)')?\s*$/i.exec(
    filter,
  );
  if (!match) {
    throw new ArmError(
      400,
      'InvalidFilterInQueryString',
      `Invalid $filter '${filter}' specified in the query string. Resource groups can be filtered by tagName and tagValue only.`,
    );
  }
  const name = (match[1] ?? '').replace(/''/g, "'").toLowerCase();
  const wanted = match[2]?.replace(/''/g, "'");
  return (tags) => {
    const entry = Object.entries(tags).find(([key]) => key.toLowerCase() === name);
    return entry !== undefined && (wanted === undefined || entry[1] === wanted);
  };
}

function groupBody(group: Group): Json {
  return {
    id: group.id,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    ...(Object.keys(group.tags).length > 0 ? { tags: group.tags } : {}),
    properties: { provisioningState: group.state },
  };
}
