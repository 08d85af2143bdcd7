import { isMpiboxError } from '../domain/errors.ts';
import { scrubText } from '../domain/secret-text.ts';

/**
 * The one place that turns an error into the sentence a user reads in chat. Messages say what
 * happened and what to do next; they never contain stack traces, keys or tokens.
 */
export function explain(error: unknown): string {
  if (!isMpiboxError(error)) return 'Something went wrong inside mpibox; the details are in the bot log.';
  // Clouds and tools quote what they were given: a SAS URL or a key must not reach the channel.
  const f = Object.fromEntries(
    Object.entries(error.fields).map(([key, value]) => [
      key,
      typeof value === 'string' ? scrubText(value) : value,
    ]),
  );
  switch (error.code) {
    case 'bad-input':
      if (f.size !== undefined)
        return `Unknown node size \`${f.size}\`. Sizes here: ${f.sizes ?? 'see /mpi help up'}.`;
      return `That input is not valid: ${error.message}.`;
    case 'not-found':
      if (f.name)
        return `There is no cluster \`${f.name}\` in this channel. \`/mpi list\` shows the ones there are.`;
      if (f.fingerprint) return `You have no key \`${f.fingerprint}\`. \`/mpi key list\` shows yours.`;
      return `Not found: ${error.message}.`;
    case 'ambiguous':
      return Number(f.count) === 0
        ? 'There is no cluster in this channel. Create one with `/mpi up <nodes> [name]`.'
        : `This channel has ${f.count} clusters (${f.names}); say which one, e.g. \`/mpi status ${String(f.names).split(', ')[0]}\`.`;
    case 'conflict':
      if (f.existingNodes !== undefined) return sameNameHere(f);
      if (f.jobs)
        return `\`${f.name}\` cannot shrink to ${f.nodes} node(s) now: ${f.jobs}. Wait for them to end or cancel them (\`/mpi cancel <job>\`), then resize.`;
      if (f.fingerprint)
        return `The key \`${f.fingerprint}\` is already registered${f.mine ? ' to you' : ' by someone else'}.`;
      if (f.state === 'stopped')
        return `\`${f.name}\` is stopped (deallocated, disks kept): \`/mpi up <nodes> ${f.name}\` with its node count and size starts it again, then try again.`;
      if (f.state) return `\`${f.name}\` is ${f.state} right now; try again when it is ready.`;
      if (f.name)
        return `The name \`${f.name}\` is taken by a live cluster${f.otherChannel ? ' in another channel' : ''}; pick another name.`;
      return `That conflicts with the current state: ${error.message}.`;
    case 'forbidden':
      if (f.policy) return error.message;
      if (f.botNotInChannel)
        return `I cannot post in this channel (Slack says \`${f.reason}\`), so nothing was started: the cluster card and job logs would have nowhere to go. Invite me with \`/invite @mpibox\`, then run the command again.`;
      if (f.adminsOnly)
        return `Only an admin can ${f.verb} \`${f.name}\`: mpibox has no live cluster of that id, so it has no owner here.`;
      return `Only the owner of \`${f.name}\` (<@${f.ownerId}>) or an admin can ${f.verb} it.`;
    case 'quota':
      if (f.budget)
        return `This channel is over its monthly budget: $${Number(f.spentUsd).toFixed(2)} spent of $${Number(f.budgetUsd).toFixed(2)}. New clusters need an admin's approval (the Approve button, admins only); running clusters go on.`;
      return f.scope === 'total'
        ? `That would bring live nodes to ${Number(f.inUse) + Number(f.requested)}, over the limit of ${f.max}. Free some with \`/mpi down\`.`
        : `At most ${f.max} nodes per cluster; you asked for ${f.requested}.`;
    case 'unsupported':
      if (f.provider === 'local' || f.option === 'spot')
        return 'Spot nodes are an Azure feature; the local provider has none. Drop `--spot`.';
      return `Not supported here: ${error.message}.`;
    case 'provider':
      if (f.check)
        return `The MPI check across the nodes failed${f.node !== undefined ? ` on node ${String(f.node)}` : ''}: ${String(f.reason)}.`;
      return f.providerCode !== undefined
        ? `The cloud refused${f.node !== undefined ? ` node ${String(f.node)}` : ''}${
            typeof f.failedNodes === 'number' && f.failedNodes > 1 ? ` (and ${f.failedNodes - 1} more)` : ''
          }: ${String(f.providerCode)}: ${String(f.providerMessage ?? '')}`.trimEnd()
        : `The cloud reported a problem: ${cause(error)}. Try again, or ask an admin to check the bot log.`;
    case 'timeout':
      return `Timed out: ${error.message}${f.waiting ? ` (still waiting for ${f.waiting})` : ''}${
        f.lastProblem ? `; last seen: ${String(f.lastProblem)}` : ''
      }.`;
    case 'internal':
      return 'Something went wrong inside mpibox; the details are in the bot log.';
  }
}

/**
 * `up NAME` where NAME already exists in this channel with another spec: what it has, what was
 * asked, and the way out (resize when only the node count differs).
 */
function sameNameHere(f: Readonly<Record<string, string | number | boolean>>): string {
  const spotDiffers = f.existingSpot !== f.spot;
  const spec = (nodes: unknown, size: unknown, spot: unknown) =>
    `${nodes} × ${size}${spotDiffers ? (spot ? ' (spot)' : ' (not spot)') : ''}`;
  const onlyNodes = !spotDiffers && f.existingSize === f.size;
  const resize = onlyNodes ? `\`/mpi resize ${f.name} ${f.nodes}\` to change its node count, ` : '';
  return (
    `A cluster named \`${f.name}\` already exists in this channel with ${spec(f.existingNodes, f.existingSize, f.existingSpot)}, ` +
    `not the ${spec(f.nodes, f.size, f.spot)} you asked for; nothing was changed. ` +
    `Use ${resize}\`/mpi down ${f.name}\` first to replace it, or pick another name.`
  );
}

/**
 * What went wrong, in a few words, for a note or a clause inside a longer sentence (no advice):
 * `ssh connection failed (127.0.0.1:10106)`.
 */
export function cause(error: unknown): string {
  if (!isMpiboxError(error)) return 'an internal error (details in the bot log)';
  const f = error.fields;
  const where =
    f.node !== undefined
      ? String(f.node)
      : f.host !== undefined
        ? `${String(f.host)}${f.port !== undefined ? `:${String(f.port)}` : ''}`
        : null;
  return `${error.message}${where ? ` (${where})` : ''}`;
}
