/**
 * `npm run bench [job-log|ack-latency]`: performance figures, as ratios against a baseline
 * measured in the same run on the same machine (these machines are noisy). Prints numbers;
 * asserts nothing.
 */
import { benchAckLatency } from './bench/ack-latency.ts';
import { benchArchive } from './bench/archive.ts';
import { benchAzureRequests } from './bench/azure-requests.ts';
import { benchJobLog } from './bench/job-log.ts';
import { benchReaperTrace } from './bench/reaper-trace.ts';

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'job-log') await benchJobLog();
if (which === 'all' || which === 'ack-latency') await benchAckLatency();
if (which === 'all' || which === 'azure-requests') await benchAzureRequests();
if (which === 'all' || which === 'reaper-trace') await benchReaperTrace();
if (which === 'all' || which === 'archive') await benchArchive();
