import type { VirtualMachineScaleSetVM } from '@azure/arm-compute';
import type { NodeState } from '../../domain/cluster.ts';

/**
 * Azure's VM states mapped onto mpibox's node union. The power state (`PowerState/…` in the
 * instance view) decides billing: `stopped` still bills, `deallocated` does not. A VM still
 * being created or whose provisioning failed is told by its provisioning state.
 */
export function nodeStateOf(vm: VirtualMachineScaleSetVM): NodeState {
  const provisioning = vm.provisioningState ?? '';
  if (provisioning === 'Deleting') return 'terminated';
  if (provisioning === 'Failed') return 'unknown';
  const power = vm.instanceView?.statuses?.find((status) => status.code?.startsWith('PowerState/'))?.code;
  switch (power) {
    case 'PowerState/running':
      return provisioning === 'Succeeded' || provisioning === '' ? 'running' : 'pending';
    case 'PowerState/starting':
      return 'pending';
    case 'PowerState/stopping':
    case 'PowerState/stopped':
      return 'stopped';
    case 'PowerState/deallocating':
    case 'PowerState/deallocated':
      return 'deallocated';
    default:
      return provisioning === 'Creating' || provisioning === 'Updating' ? 'pending' : 'unknown';
  }
}
