import { ArmError, resourceNotFound } from './errors.ts';
import { checkReference, children, found, type ResourceKind } from './resources.ts';
import { GROUP, objectBody, route, startOperation, type Route } from './router.ts';
import { dig, ipConfigurations } from './scale-set-runtime.ts';
import type { ArmState, Instance, Resource, ScaleSetRuntime } from './state.ts';
import type { Json } from './types.ts';

const LB = 'Microsoft.Network/loadBalancers';
const CHILD_LISTS = [
  'frontendIPConfigurations',
  'backendAddressPools',
  'loadBalancingRules',
  'probes',
  'inboundNatRules',
  'inboundNatPools',
  'outboundRules',
] as const;

/** Load balancers: children get ids, references are checked, NAT rules over a pool are validated. */
export const loadBalancerKind: ResourceKind = {
  type: LB,
  inUseCode: 'LoadBalancerInUseByVirtualMachineScaleSet',
  normalize(ctx, id, body) {
    const properties = (body.properties ?? {}) as Json;
    const standard = String((body.sku as Json | undefined)?.name ?? 'Basic').toLowerCase() === 'standard';
    const lists = Object.fromEntries(
      CHILD_LISTS.map((segment) => [segment, children(id, segment, `${LB}/${segment}`, properties[segment])]),
    ) as Record<(typeof CHILD_LISTS)[number], Json[]>;
    const own = CHILD_LISTS.flatMap((segment) => lists[segment]);
    for (const frontend of lists.frontendIPConfigurations) {
      const ipId = dig(frontend, 'properties', 'publicIPAddress', 'id');
      checkReference(ctx.state, ipId, String(frontend.id));
      const ip = typeof ipId === 'string' ? ctx.state.resource(ipId) : undefined;
      const ipStandard =
        String((ip?.body.sku as Json | undefined)?.name ?? 'Basic').toLowerCase() === 'standard';
      if (ip && ipStandard !== standard) {
        throw new ArmError(
          400,
          'PublicIPAndLBSkuDoNotMatch',
          `${standard ? 'Standard' : 'Basic'} sku load balancer ${id} cannot reference ${ipStandard ? 'Standard' : 'Basic'} sku publicIP ${ip.id}.`,
        );
      }
      checkReference(ctx.state, dig(frontend, 'properties', 'subnet', 'id'), String(frontend.id));
    }
    for (const child of own) {
      for (const key of ['frontendIPConfiguration', 'backendAddressPool', 'probe']) {
        checkReference(ctx.state, dig(child, 'properties', key, 'id'), String(child.id), own);
      }
      for (const ref of (dig(child, 'properties', 'frontendIPConfigurations') ?? []) as Json[]) {
        checkReference(ctx.state, ref.id, String(child.id), own);
      }
    }
    for (const rule of lists.inboundNatRules) checkNatRule(rule);
    for (const rule of lists.loadBalancingRules) {
      rule.properties = { disableOutboundSnat: false, ...(rule.properties as Json) };
    }
    if (!standard && lists.outboundRules.length > 0) {
      throw new ArmError(
        400,
        'OutboundRulesNotSupportedForBasicSku',
        `Basic sku load balancer ${id} cannot have outbound rules.`,
      );
    }
    return { ...properties, ...lists };
  },
  view(state, resource) {
    const properties = resource.body.properties as Json;
    const backendAddressPools = ((properties.backendAddressPools ?? []) as Json[]).map((pool) => ({
      ...pool,
      properties: {
        ...(pool.properties as Json),
        backendIPConfigurations: members(state, String(pool.id)).map(({ runtime, instance }) => ({
          id: ipConfigurationId(runtime, instance),
        })),
      },
    }));
    return { backendAddressPools };
  },
};

function checkNatRule(rule: Json): void {
  const properties = rule.properties as Json;
  if (!properties.backendAddressPool) return;
  const start = Number(properties.frontendPortRangeStart);
  const end = Number(properties.frontendPortRangeEnd);
  const valid =
    Number.isInteger(start) && Number.isInteger(end) && start >= 1 && end <= 65534 && start <= end;
  if (!valid || properties.frontendPort || !Number.isInteger(Number(properties.backendPort))) {
    throw new ArmError(
      400,
      'InvalidInboundNatRuleFrontendPortRange',
      `Inbound NAT rule ${String(rule.id)} over a backend pool needs frontendPortRangeStart <= frontendPortRangeEnd within 1-65534, a backendPort, and no frontendPort.`,
    );
  }
}

/** Scale-set instances whose NIC joins the pool, ordered by instance id. */
function members(state: ArmState, poolId: string): { runtime: ScaleSetRuntime; instance: Instance }[] {
  const wanted = poolId.toLowerCase();
  return [...state.scaleSets.values()].flatMap((runtime) => {
    const joins = ipConfigurations(runtime.resource.body).some((config) =>
      ((dig(config, 'properties', 'loadBalancerBackendAddressPools') ?? []) as Json[]).some(
        (pool) => String(pool.id).toLowerCase() === wanted,
      ),
    );
    if (!joins) return [];
    return [...runtime.instances.values()]
      .sort((a, b) => Number(a.instanceId) - Number(b.instanceId))
      .map((instance) => ({ runtime, instance }));
  });
}

export function ipConfigurationId(runtime: ScaleSetRuntime, instance: Instance): string {
  const nic = dig(
    runtime.resource.body,
    'properties',
    'virtualMachineProfile',
    'networkProfile',
    'networkInterfaceConfigurations',
    0,
    'name',
  );
  const ip = dig(ipConfigurations(runtime.resource.body)[0], 'name');
  return `${runtime.resource.id}/virtualMachines/${instance.instanceId}/networkInterfaces/${String(nic)}/ipConfigurations/${String(ip)}`;
}

/** The mappings Azure reports for one backend address: one per NAT rule over the pool. */
function mappingsFor(lb: Resource, poolId: string, position: number, instance: Instance): Json[] {
  const rules = ((lb.body.properties as Json).inboundNatRules ?? []) as Json[];
  return rules
    .filter(
      (rule) =>
        String(dig(rule, 'properties', 'backendAddressPool', 'id')).toLowerCase() === poolId.toLowerCase(),
    )
    .map((rule) => {
      const properties = rule.properties as Json;
      const backendPort = Number(properties.backendPort);
      const ssh = backendPort === 22 && instance.sshPort !== null;
      return {
        inboundNatRuleName: rule.name,
        protocol: properties.protocol ?? 'Tcp',
        frontendPort: ssh ? instance.sshPort : Number(properties.frontendPortRangeStart) + position,
        backendPort,
      };
    });
}

const queryRoute = route(
  'POST',
  `${GROUP}/providers/Microsoft\\.Network/loadBalancers/([^/]+)/backendAddressPools/([^/]+)/queryInboundNatRulePortMapping`,
  (ctx) => {
    const { resource: lb } = found(ctx, LB);
    const poolName = ctx.params[3] ?? '';
    const pool = ((lb.body.properties as Json).backendAddressPools as Json[]).find(
      (candidate) => String(candidate.name).toLowerCase() === poolName.toLowerCase(),
    );
    if (!pool) throw resourceNotFound(`${LB}/backendAddressPools`, `${lb.name}/${poolName}`, lb.group);
    const body = objectBody(ctx);
    const ipAddress = body.ipAddress;
    const configId = dig(body, 'ipConfiguration', 'id');
    if ((ipAddress === undefined) === (configId === undefined)) {
      throw new ArmError(
        400,
        'InvalidRequestFormat',
        'Exactly one of ipAddress and ipConfiguration must be given.',
      );
    }
    const all = members(ctx.state, String(pool.id));
    const position = all.findIndex(({ runtime, instance }) =>
      ipAddress !== undefined
        ? instance.privateIp === ipAddress
        : ipConfigurationId(runtime, instance).toLowerCase() === String(configId).toLowerCase(),
    );
    const member = all[position];
    if (!member) {
      throw new ArmError(
        400,
        'BackendAddressNotFoundInBackendPool',
        `Backend address ${String(ipAddress ?? configId)} is not a member of backend pool ${String(pool.id)}.`,
      );
    }
    const result = {
      inboundNatRulePortMappings: mappingsFor(lb, String(pool.id), position, member.instance),
    };
    const headers = startOperation(
      ctx,
      lb.subscriptionId,
      { kind: 'provider', namespace: 'Microsoft.Network', location: lb.location },
      { complete: () => undefined, fail: () => undefined, result: () => result },
      'both',
    );
    return { status: 202, headers };
  },
);

export const loadBalancerRoutes: Route[] = [queryRoute];
