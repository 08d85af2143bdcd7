/**
 * HPC sizes mpibox knows: MPI slots (physical cores; these sizes have SMT off) and the quota
 * family Azure counts their vCPUs against (compute usages). Sizes outside this table are
 * refused with the list, rather than guessed.
 */
export interface VmSizeInfo {
  /** Cores per node: the machinefile's `slots=`. */
  cores: number;
  /** vCPUs counted against the family quota. */
  vCpus: number;
  /** Quota family, as compute usages names it. */
  family: string;
  /** One line for help and errors. */
  description: string;
}

export const VM_SIZES: Readonly<Record<string, VmSizeInfo>> = {
  Standard_HB120rs_v3: {
    cores: 120,
    vCpus: 120,
    family: 'standardHBrsv3Family',
    description: 'HBv3: 120 AMD EPYC cores, 448 GB, 200 Gb/s HDR InfiniBand',
  },
  Standard_HB120rs_v2: {
    cores: 120,
    vCpus: 120,
    family: 'standardHBrsv2Family',
    description: 'HBv2: 120 AMD EPYC cores, 456 GB, 200 Gb/s HDR InfiniBand',
  },
  Standard_HB176rs_v4: {
    cores: 176,
    vCpus: 176,
    family: 'standardHBv4Family',
    description: 'HBv4: 176 AMD EPYC cores, 768 GB, 400 Gb/s NDR InfiniBand',
  },
  Standard_HX176rs: {
    cores: 176,
    vCpus: 176,
    family: 'standardHXFamily',
    description: 'HX: 176 AMD EPYC cores, 1.4 TB, 400 Gb/s NDR InfiniBand',
  },
  Standard_HC44rs: {
    cores: 44,
    vCpus: 44,
    family: 'standardHCSFamily',
    description: 'HC: 44 Intel Xeon cores, 352 GB, 100 Gb/s EDR InfiniBand',
  },
  Standard_D4s_v5: {
    cores: 2,
    vCpus: 4,
    family: 'standardDSv5Family',
    description: 'Dsv5: 2 cores (4 vCPUs), 16 GB; no InfiniBand (tests, small jobs)',
  },
};
