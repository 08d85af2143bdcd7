import { describe, expect, it } from 'vitest';
import { BUILD_FAILED, TIMED_OUT, describeReport, diagnoseCheck, parseCheckReport } from './ready-check.ts';

const ADDRESSES = ['10.0.0.4', '10.0.0.5', '10.0.0.50'];

describe('ready-check', () => {
  it('reads the worst latency and lowest bandwidth over the peers', () => {
    const output = [
      'MPIBOX-CHECK peer 1 vm1 2.5 11800',
      'MPIBOX-CHECK peer 2 vm2 7.25 9400',
      'MPIBOX-CHECK done 24 3 ok',
    ].join('\n');

    const report = parseCheckReport(output);

    expect(report).toEqual({
      ranks: 24,
      nodes: 3,
      worstLatencyInUs: 7.25,
      lowestBandwidthInMBps: 9400,
      slowestNode: 2,
    });
    expect(describeReport(report!)).toBe(
      'MPI check passed: 24 ranks on 3 nodes (allreduce and ring); node 0 to the others: latency 7.3 µs at worst, bandwidth 9.4 GB/s at least.',
    );
  });

  it('has no report without the final ok line, and none on a single node’s figures', () => {
    expect(parseCheckReport('MPIBOX-CHECK peer 1 vm1 2.5 11800\n')).toBeNull();
    expect(parseCheckReport('MPIBOX-CHECK done 4 2 fail\n')).toBeNull();
    expect(describeReport(parseCheckReport('MPIBOX-CHECK done 2 1 ok\n')!)).toBe(
      'MPI check passed: 2 ranks on 1 node (allreduce and ring).',
    );
  });

  it('names the node from mpiexec’s own words, whole addresses only', () => {
    const output = [
      '--------------------------------------------------------------------------',
      'ORTE was unable to reliably start one or more daemons.',
      'ssh: connect to host 10.0.0.50 port 22: Connection timed out',
      '--------------------------------------------------------------------------',
    ].join('\n');

    expect(diagnoseCheck({ exitCode: 1, output }, null, ADDRESSES)).toEqual({
      node: 2,
      reason: 'mpiexec failed (exit status 1): ssh: connect to host 10.0.0.50 port 22: Connection timed out',
    });
  });

  it('prefers the program’s report, then the probe, and says when mpiexec ran out of time', () => {
    const bad = 'MPIBOX-CHECK bad 1 vm1 ring data from rank 8 was wrong\n';
    const probe =
      'MPIBOX-PROBE 2 unreachable ssh: connect to host 10.0.0.50 port 22: No route to host\nMPIBOX-PROBE 1 missing\n';

    expect(diagnoseCheck({ exitCode: 3, output: bad }, probe, ADDRESSES)).toEqual({
      node: 1,
      reason: 'ring data from rank 8 was wrong',
    });
    expect(diagnoseCheck({ exitCode: TIMED_OUT, output: '' }, probe, ADDRESSES).node).toBe(1);
    expect(diagnoseCheck({ exitCode: TIMED_OUT, output: '' }, 'MPIBOX-PROBE 1 ok\n', ADDRESSES)).toEqual({
      node: null,
      reason: 'mpiexec did not finish in time (a node that does not answer, or a blocked network)',
    });
    expect(
      diagnoseCheck({ exitCode: BUILD_FAILED, output: 'sh: 1: mpicc: not found\n' }, null, ADDRESSES),
    ).toEqual({
      node: 0,
      reason: 'could not build the MPI check program: sh: 1: mpicc: not found',
    });
  });
});
