import { MpiboxError } from '../domain/errors.ts';
import type { PublicKey } from '../domain/ssh-key.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../ports/store.ts';
import type { Actor, Reply } from './actor.ts';
import { message } from './messages.ts';

export interface KeyServiceDeps {
  store: Store;
  clock: Clock;
  /** Pushes the keys of a channel's users to its live clusters. */
  refreshKeys(channelId: string): Promise<void>;
}

/** SSH public keys: a user's keys may log in to every cluster of every channel they use. */
export class KeyService {
  readonly #deps: KeyServiceDeps;

  constructor(deps: KeyServiceDeps) {
    this.#deps = deps;
  }

  async add(actor: Actor, key: PublicKey): Promise<Reply> {
    const { store, clock } = this.#deps;
    const mine = store.listKeys(actor.userId).some((existing) => existing.fingerprint === key.fingerprint);
    if (mine) {
      return {
        visibility: 'ephemeral',
        message: message(`Your key \`${key.fingerprint}\` is already registered.`),
      };
    }
    try {
      store.addKey({
        fingerprint: key.fingerprint,
        userId: actor.userId,
        type: key.type,
        bits: key.bits,
        publicKey: key.authorizedKeysLine,
        comment: key.comment,
        addedAtMs: clock.nowInMs(),
      });
    } catch (error) {
      if (error instanceof MpiboxError && error.code === 'conflict') {
        throw new MpiboxError('conflict', 'key registered by another user', {
          fingerprint: key.fingerprint,
          mine: false,
        });
      }
      throw error;
    }
    await this.#refreshEverywhere(actor.userId);
    return {
      visibility: 'ephemeral',
      message: message(
        `Added ${key.type} key \`${key.fingerprint}\` (${key.bits} bits${key.comment ? `, ${key.comment}` : ''}). ` +
          'It can log in to every cluster in the channels where you use mpibox.',
      ),
    };
  }

  list(actor: Actor): Reply {
    const keys = this.#deps.store.listKeys(actor.userId);
    if (keys.length === 0) {
      return {
        visibility: 'ephemeral',
        message: message(
          'You have no keys. Add one with `/mpi key add <contents of ~/.ssh/id_ed25519.pub>`.',
        ),
      };
    }
    const lines = keys.map(
      (key) => `${key.fingerprint}  ${key.type} ${key.bits}  ${key.comment || '(no comment)'}`,
    );
    return {
      visibility: 'ephemeral',
      message: message(`Your keys:\n${lines.join('\n')}`, [
        { kind: 'text', text: `Your keys (${keys.length}):` },
        { kind: 'code', text: lines.join('\n') },
        { kind: 'context', text: 'Remove one with `/mpi key rm <fingerprint>`.' },
      ]),
    };
  }

  async remove(actor: Actor, fingerprint: string): Promise<Reply> {
    if (!this.#deps.store.removeKey(actor.userId, fingerprint)) {
      throw new MpiboxError('not-found', 'no such key', { fingerprint });
    }
    await this.#refreshEverywhere(actor.userId);
    return {
      visibility: 'ephemeral',
      message: message(`Removed key \`${fingerprint}\`; it can no longer log in to your channels' clusters.`),
    };
  }

  async #refreshEverywhere(userId: string): Promise<void> {
    const channels = this.#deps.store.listUserChannels(userId);
    for (const channelId of channels) await this.#deps.refreshKeys(channelId);
  }
}
