import { formatDuration } from '../domain/policy.ts';
import type { Block, Button, Message } from '../ports/chat.ts';
import type { ClusterInfo, ProviderCluster } from '../ports/cloud-provider.ts';
import type { ClusterRow, NodeRow } from '../ports/store.ts';

/**
 * Surface-neutral messages about clusters. Every message carries everything needed to act:
 * exact commands, paths and states. Surfaces only change how it looks.
 */

/** A message from blocks, with `text` as the plain fallback. */
export function message(text: string, blocks: Block[] = [{ kind: 'text', text }]): Message {
  return { text, blocks };
}

/** The `ssh` command for each node, as a user pastes it (with their own key). */
export function sshLines(info: Pick<ClusterInfo, 'user' | 'nodes'>): string {
  return info.nodes
    .map((node) => `ssh -i <your key> -p ${node.port} ${info.user}@${node.host}    # ${node.name}`)
    .join('\n');
}

/** Connection details: ssh lines, machinefile, and how to run MPI on node 0. */
export function connectionBlocks(info: ClusterInfo): Block[] {
  const seed = info.nodes[0];
  return [
    { kind: 'text', text: `SSH (one port per node; register your public key with \`/mpi key add\` first):` },
    { kind: 'code', text: sshLines(info) },
    { kind: 'text', text: `Machinefile \`${info.machinefilePath}\`:` },
    { kind: 'code', text: info.machinefile.trimEnd() },
    {
      kind: 'context',
      text:
        `Shared folder \`${info.sharedDir}\` is on every node. ` +
        `On ${seed?.name ?? 'node 0'}: \`mpiexec -machinefile ${info.machinefilePath} ./your-program\``,
    },
  ];
}

/** The cluster card: posted once in the channel, then updated in place. */
export function clusterCard(
  cluster: ClusterRow,
  info: ClusterInfo | null,
  nowInMs: number,
  /** Its cost (`$7.20/h, $3.10 so far`) and idle clock, when known. */
  money: { cost: string | null; idle: string | null } = { cost: null, idle: null },
): Message {
  const headline = cardHeadline(cluster);
  const fields: [string, string][] = [
    ['State', cluster.state],
    ['Nodes', `${cluster.nodeCount} × ${cluster.size}${cluster.spot ? ' (spot)' : ''}`],
    ['Owner', `<@${cluster.ownerId}>`],
    ['Age', formatDuration(nowInMs - cluster.createdAtMs)],
  ];
  if (money.cost) fields.push(['Cost', money.cost]);
  if (money.idle) fields.push(['Idle', money.idle]);
  const blocks: Block[] = [
    { kind: 'header', text: headline },
    { kind: 'fields', fields },
  ];
  if (cluster.lastError) blocks.push({ kind: 'text', text: `Problem: ${cluster.lastError}` });
  // While creating or resizing: that the check runs; once ready: what it measured.
  if (
    cluster.readyCheck &&
    (cluster.state === 'ready' || cluster.state === 'creating' || cluster.state === 'resizing')
  )
    blocks.push({ kind: 'context', text: cluster.readyCheck });
  if (info && (cluster.state === 'ready' || cluster.state === 'resizing'))
    blocks.push(...connectionBlocks(info));
  if (cluster.state === 'ready') blocks.push({ kind: 'actions', buttons: [downButton(cluster)] });
  const fallback = info && cluster.state === 'ready' ? `${headline}\n${sshLines(info)}` : headline;
  return { text: fallback, blocks };
}

/** The Down button, with a confirm dialog that says what will be lost. */
export function downButton(cluster: Pick<ClusterRow, 'id' | 'name' | 'nodeCount'>): Button {
  return {
    action: 'cluster-down',
    label: 'Down',
    value: cluster.id,
    style: 'danger',
    confirm: {
      title: `Delete ${cluster.name}?`,
      text: `This deletes all ${cluster.nodeCount} node(s) of ${cluster.name} and everything on them.`,
      confirm: 'Delete',
      deny: 'Keep it',
    },
  };
}

/** The reply to `/mpi down NAME` without `--yes`: what it would do, and how to confirm. */
export function downConfirmation(cluster: Pick<ClusterRow, 'id' | 'name' | 'nodeCount'>): Message {
  const what = `This deletes all ${cluster.nodeCount} node(s) of \`${cluster.name}\` and everything on them.`;
  return {
    text: `${what} To confirm: /mpi down ${cluster.name} --yes`,
    blocks: [
      { kind: 'text', text: `${what} To confirm, type \`/mpi down ${cluster.name} --yes\` or press Down.` },
      { kind: 'actions', buttons: [downButton(cluster)] },
    ],
  };
}

function cardHeadline(cluster: ClusterRow): string {
  const nodes = `${cluster.nodeCount} node${cluster.nodeCount === 1 ? '' : 's'}`;
  switch (cluster.state) {
    case 'creating':
      return `Cluster ${cluster.name}: creating ${nodes}…`;
    case 'ready':
      return `Cluster ${cluster.name} is ready: ${nodes}`;
    case 'resizing':
      return `Cluster ${cluster.name}: resizing to ${nodes}…`;
    case 'stopping':
      return `Cluster ${cluster.name}: stopping (deallocating) ${nodes}…`;
    case 'stopped':
      return `Cluster ${cluster.name} is stopped: ${nodes} deallocated`;
    case 'starting':
      return `Cluster ${cluster.name}: starting ${nodes}…`;
    case 'deleting':
      return `Cluster ${cluster.name}: deleting…`;
    case 'deleted':
      return `Cluster ${cluster.name} is deleted`;
    case 'failed':
      return `Cluster ${cluster.name} failed`;
  }
}

/** One line per cluster for `/mpi list`. */
export function clusterListMessage(clusters: ClusterRow[], nowInMs: number): Message {
  if (clusters.length === 0)
    return message('No clusters in this channel. Create one with `/mpi up <nodes> [name]`.');
  const lines = clusters.map(
    (cluster) =>
      `${cluster.name}  ${cluster.state}  ${cluster.nodeCount} × ${cluster.size}  owner <@${cluster.ownerId}>  ` +
      `age ${formatDuration(nowInMs - cluster.createdAtMs)}`,
  );
  return message(`Clusters in this channel:\n${lines.join('\n')}`, [
    { kind: 'text', text: `Clusters in this channel (${clusters.length}):` },
    { kind: 'code', text: lines.join('\n') },
  ]);
}

/** Node table for `/mpi status`. */
export function nodeTable(nodes: NodeRow[]): string {
  return nodes
    .map((node) => `${node.name}  ${node.state}  ${node.host}:${node.port}  slots=${node.slots}`)
    .join('\n');
}

/** What a lost cluster's card says: the provider no longer has its nodes. */
export function lostProblem(provider: string): string {
  return `its nodes are gone from ${provider} (deleted outside mpibox, or evicted); nothing of it runs or bills any more`;
}

/** Said in a lost cluster's thread: what happened and what to do. */
export function lostNotice(cluster: Pick<ClusterRow, 'name' | 'nodeCount' | 'size' | 'provider'>): Message {
  return message(
    `The nodes of \`${cluster.name}\` are gone from ${cluster.provider}: deleted outside mpibox, or evicted. ` +
      `mpibox marked it failed and stopped counting its cost. ` +
      `\`/mpi up ${cluster.nodeCount} ${cluster.name} --size ${cluster.size}\` makes a new one.`,
  );
}

/**
 * An orphan, for the admins: a cluster the provider holds that mpibox has no live record of.
 * Nothing is deleted unless an admin presses Down. Cost per hour is left out until mpibox has
 * prices: the node count and size say what it is.
 */
export function orphanReport(orphan: ProviderCluster, provider: string, nowInMs: number): Message {
  const name = orphan.name ?? orphan.clusterId;
  const headline = `Orphaned cluster on ${provider}: ${name}`;
  const nodes = orphan.size === null ? `${orphan.nodeCount}` : `${orphan.nodeCount} × ${orphan.size}`;
  const age = orphan.createdAtMs === null ? 'unknown' : formatDuration(nowInMs - orphan.createdAtMs);
  const fields: [string, string][] = [
    ['Resource', orphan.resourceName],
    ['Cluster id', orphan.clusterId],
    ['Age', age],
    ['Nodes', nodes],
    ['Cost per hour', 'not known yet (mpibox has no prices)'],
  ];
  if (orphan.labels)
    fields.push(['Made for', `<@${orphan.labels.ownerId}> in <#${orphan.labels.channelId}>`]);
  const why =
    `mpibox has no live cluster with this id, so nothing it knows of uses these resources. ` +
    `It is not deleted unless an admin presses Down or types \`/mpi down ${orphan.clusterId} --yes\`.`;
  const button: Button = {
    ...downButton({ id: orphan.clusterId, name, nodeCount: orphan.nodeCount }),
    confirm: {
      title: `Delete ${name}?`,
      text: `This deletes ${orphan.resourceName} with its ${orphan.nodeCount} node(s) and everything on them.`,
      confirm: 'Delete',
      deny: 'Keep it',
    },
  };
  return {
    text: `${headline} (${orphan.resourceName}): nodes ${nodes}, age ${age}. ${why}`,
    blocks: [
      { kind: 'header', text: headline },
      { kind: 'fields', fields },
      { kind: 'text', text: why },
      { kind: 'actions', buttons: [button] },
    ],
  };
}

/** An orphan report once the orphan is settled: deleted by an admin, or gone by itself. */
export function orphanSettled(orphan: ProviderCluster, provider: string, outcome: string): Message {
  const text = `Orphaned cluster on ${provider}: ${orphan.name ?? orphan.clusterId} (${orphan.resourceName}): ${outcome}`;
  return message(text);
}
