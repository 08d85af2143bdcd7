import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { VNET_CIDR } from './azure-names.ts';
import { renderCloudInit } from './cloud-init.ts';

const execFileAsync = promisify(execFile);

export interface ClusterCustomDataOptions {
  /** Folder for the clusters' intra-cluster keys (one sub-folder each, mode 0700). */
  dir: string;
  /** The cloud-init template (readCloudInitTemplate()). */
  template: string;
  adminUsername: string;
  jobUsername: string;
  botPublicKey: string;
}

/**
 * The custom data of a cluster's nodes: the cloud-init template rendered with the cluster's
 * own intra-cluster key pair, made once per cluster (so a scale-out gets the same key as the
 * first nodes) and removed when the cluster is.
 */
export class ClusterCustomData {
  readonly #options: ClusterCustomDataOptions;

  constructor(options: ClusterCustomDataOptions) {
    this.#options = options;
    fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  }

  async render(input: { clusterId: string; authorizedKeys: readonly string[] }): Promise<string> {
    const key = await this.#intraClusterKey(input.clusterId);
    return renderCloudInit(this.#options.template, {
      adminUsername: this.#options.adminUsername,
      jobUsername: this.#options.jobUsername,
      botPublicKey: this.#options.botPublicKey,
      teamPublicKeys: input.authorizedKeys,
      intraClusterKey: key,
      vnetCidr: VNET_CIDR,
    });
  }

  forget(clusterId: string): void {
    fs.rmSync(this.#folder(clusterId), { recursive: true, force: true });
  }

  async #intraClusterKey(clusterId: string): Promise<{ privateKey: string; publicKey: string }> {
    const folder = this.#folder(clusterId);
    const file = path.join(folder, 'id_ed25519');
    if (!fs.existsSync(`${file}.pub`)) {
      fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
      // Made under a temporary name and renamed, so a crash never leaves half a pair.
      const temporary = `${file}.${process.pid}.tmp`;
      fs.rmSync(temporary, { force: true });
      fs.rmSync(`${temporary}.pub`, { force: true });
      await execFileAsync('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `mpibox-${clusterId}`,
        '-f',
        temporary,
      ]);
      fs.renameSync(temporary, file);
      fs.renameSync(`${temporary}.pub`, `${file}.pub`);
    }
    return {
      privateKey: fs.readFileSync(file, 'utf8'),
      publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim(),
    };
  }

  #folder(clusterId: string): string {
    if (!/^[a-z0-9-]+$/.test(clusterId)) throw new Error(`bad cluster id ${JSON.stringify(clusterId)}`);
    return path.join(this.#options.dir, clusterId);
  }
}
