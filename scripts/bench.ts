/**
 * `npm run bench [job-log|ack-latency|azure-requests|reaper-trace|archive]`: performance
 * figures, as ratios against a baseline measured in the same run on the same machine (these
 * machines are noisy). Prints numbers; asserts nothing. Each bench is loaded only when it runs,
 * so a memory figure carries no other bench's modules.
 */
const BENCHES: Record<string, () => Promise<void>> = {
  'job-log': async () => (await import('./bench/job-log.ts')).benchJobLog(),
  'ack-latency': async () => (await import('./bench/ack-latency.ts')).benchAckLatency(),
  'azure-requests': async () => (await import('./bench/azure-requests.ts')).benchAzureRequests(),
  'reaper-trace': async () => (await import('./bench/reaper-trace.ts')).benchReaperTrace(),
  archive: async () => (await import('./bench/archive.ts')).benchArchive(),
};

const which = process.argv[2] ?? 'all';
if (which !== 'all' && !(which in BENCHES)) {
  process.stderr.write(
    `unknown bench ${JSON.stringify(which)}; one of: all, ${Object.keys(BENCHES).join(', ')}\n`,
  );
  process.exit(2);
}
for (const [name, run] of Object.entries(BENCHES)) if (which === 'all' || which === name) await run();
