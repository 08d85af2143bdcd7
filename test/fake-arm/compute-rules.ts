import { ArmError, invalidParameter } from './errors.ts';
import type { Json, VmSizeInfo } from './types.ts';

/** Sizes the fake knows, with the quota family and vCPUs Azure's resource SKUs give them. */
export const VM_SIZES: Record<string, VmSizeInfo> = {
  Standard_HB120rs_v3: { family: 'standardHBrsv3Family', vCpus: 120 },
  Standard_HB120rs_v2: { family: 'standardHBrsv2Family', vCpus: 120 },
  Standard_HB176rs_v4: { family: 'standardHBv4Family', vCpus: 176 },
  Standard_HC44rs: { family: 'standardHCSFamily', vCpus: 44 },
  Standard_HX176rs: { family: 'standardHXFamily', vCpus: 176 },
  Standard_D2s_v5: { family: 'standardDSv5Family', vCpus: 2 },
  Standard_D4s_v5: { family: 'standardDSv5Family', vCpus: 4 },
  Standard_D4as_v5: { family: 'standardDASv5Family', vCpus: 4 },
  Standard_D1_v2: { family: 'standardDv2Family', vCpus: 1 },
  Standard_A1: { family: 'standardA0_A7Family', vCpus: 1 },
};

/** Default vCPU limits: generous, so only quota tests have to think about them. */
export const DEFAULT_QUOTAS: Record<string, number> = { cores: 10_000 };
const DEFAULT_FAMILY_LIMIT = 10_000;

export function familyLimit(quotas: Record<string, number>, family: string): number {
  return quotas[family] ?? DEFAULT_FAMILY_LIMIT;
}

/**
 * Azure's published list of admin user names it refuses (osProfile.adminUsername, "Disallowed
 * values", https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/create-or-update).
 */
export const RESERVED_ADMIN_USERNAMES = [
  'administrator',
  'admin',
  'user',
  'user1',
  'test',
  'user2',
  'test1',
  'user3',
  'admin1',
  '1',
  '123',
  'a',
  'actuser',
  'adm',
  'admin2',
  'aspnet',
  'backup',
  'console',
  'david',
  'guest',
  'john',
  'owner',
  'root',
  'server',
  'sql',
  'support',
  'support_388945a0',
  'sys',
  'test2',
  'test3',
  'user4',
  'user5',
];

/** customData is base64 of at most 64 KB: Azure counts 87,380 base64 characters. */
export const MAX_CUSTOM_DATA_BASE64_CHARS = 87_380;

/** Refuses what Azure refuses in an osProfile; returns the decoded custom data. */
export function checkOsProfile(osProfile: Json | undefined): { customData: string | null } {
  if (!osProfile) throw invalidParameter("Required parameter 'osProfile' is missing (null).", 'osProfile');
  const user = osProfile.adminUsername;
  if (typeof user !== 'string' || user.length === 0) {
    throw invalidParameter("Required parameter 'adminUsername' is missing (null).", 'adminUsername');
  }
  if (RESERVED_ADMIN_USERNAMES.includes(user.toLowerCase())) {
    throw invalidParameter('The Admin Username specified is not allowed.', 'adminUsername');
  }
  const linux = osProfile.linuxConfiguration as Json | undefined;
  if (linux) checkLinux(user, linux, osProfile);
  return { customData: decodeCustomData(osProfile.customData) };
}

function checkLinux(user: string, linux: Json, osProfile: Json): void {
  if (user.length > 64 || !/^[a-z_][a-z0-9_.-]*$/i.test(user) || user.endsWith('.')) {
    throw invalidParameter('The Admin Username specified is not allowed.', 'adminUsername');
  }
  const keys = ((linux.ssh as Json | undefined)?.publicKeys as Json[] | undefined) ?? [];
  for (const key of keys) {
    if (key.path !== `/home/${user}/.ssh/authorized_keys`) {
      throw invalidParameter(
        `Destination path for SSH public keys is currently limited to its default value /home/${user}/.ssh/authorized_keys  due to a known issue in Linux provisioning agent.`,
        'linuxConfiguration.ssh.publicKeys.path',
      );
    }
    if (
      typeof key.keyData !== 'string' ||
      !/^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(key.keyData)
    ) {
      throw invalidParameter(
        'The value of parameter linuxConfiguration.ssh.publicKeys.keyData is invalid.',
        'linuxConfiguration.ssh.publicKeys.keyData',
      );
    }
  }
  if (linux.disablePasswordAuthentication === true && keys.length === 0) {
    throw invalidParameter(
      'Authentication using either SSH or by user name and password must be enabled in Linux profile.',
      'linuxConfiguration',
    );
  }
  if (
    linux.disablePasswordAuthentication !== true &&
    typeof osProfile.adminPassword !== 'string' &&
    keys.length === 0
  ) {
    throw invalidParameter("Required parameter 'adminPassword' is missing (null).", 'adminPassword');
  }
}

function decodeCustomData(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const text = String(value);
  if (
    text.length > MAX_CUSTOM_DATA_BASE64_CHARS ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(text) ||
    text.length % 4 !== 0
  ) {
    throw invalidParameter(
      `Custom data in OSProfile must be in Base64 encoding and with a maximum length of ${MAX_CUSTOM_DATA_BASE64_CHARS} characters.`,
      'customData',
    );
  }
  return Buffer.from(text, 'base64').toString('utf8');
}

export function sizeOf(sizes: Record<string, VmSizeInfo>, name: unknown, location: string): VmSizeInfo {
  const size = typeof name === 'string' ? sizes[name] : undefined;
  if (!size) {
    throw new ArmError(
      409,
      'SkuNotAvailable',
      `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${String(name)}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
    );
  }
  return size;
}

/** Azure's quota refusal, with the numbers (409 OperationNotAllowed). */
export function quotaExceeded(
  label: string,
  location: string,
  limit: number,
  usage: number,
  required: number,
): ArmError {
  return new ArmError(
    409,
    'OperationNotAllowed',
    `Operation could not be completed as it results in exceeding approved ${label} quota. Additional details - Deployment Model: Resource Manager, Location: ${location}, Current Limit: ${limit}, Current Usage: ${usage}, Additional Required: ${required}, (Minimum) New Limit Required: ${usage + required}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView by specifying parameters listed in the ‘Details’ section for deployment to succeed.`,
  );
}
