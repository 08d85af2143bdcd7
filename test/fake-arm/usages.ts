import { familyLimit } from './compute-rules.ts';
import { route, type Route } from './router.ts';
import { allocatedCores, VMSS } from './scale-set-model.ts';
import type { Json } from './types.ts';

/** Localized names as the portal shows them, e.g. "Standard HBrsv3 Family vCPUs". */
function localized(family: string): string {
  if (family === 'cores') return 'Total Regional vCPUs';
  const body = family.replace(/^standard/, '').replace(/Family$/, '');
  return `Standard ${body} Family vCPUs`;
}

/** Compute usages (Usage_List): vCPU use and limit per family the fake knows, plus the regional total. */
export const usageRoutes: Route[] = [
  route('GET', '^/subscriptions/([^/]+)/providers/Microsoft\\.Compute/locations/([^/]+)/usages', (ctx) => {
    const [subscriptionId = '', location = ''] = ctx.params;
    ctx.state.checkSubscription(subscriptionId);
    const used = allocatedCores(ctx.state, subscriptionId, location);
    const families = new Set(['cores', ...Object.values(ctx.state.vmSizes).map((size) => size.family)]);
    for (const family of Object.keys(ctx.state.quotas)) families.add(family);
    const scaleSets = [...ctx.state.scaleSets.values()].filter(
      ({ resource }) => resource.location.toLowerCase() === location.toLowerCase() && resource.type === VMSS,
    ).length;
    const value: Json[] = [...families].map((family) => ({
      unit: 'Count',
      currentValue: used.get(family) ?? 0,
      limit: familyLimit(ctx.state.quotas, family),
      name: { value: family, localizedValue: localized(family) },
    }));
    value.push({
      unit: 'Count',
      currentValue: scaleSets,
      limit: 2500,
      name: { value: 'virtualMachineScaleSets', localizedValue: 'Virtual Machine Scale Sets' },
    });
    return { status: 200, body: { value } };
  }),
];
