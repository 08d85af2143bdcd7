/**
 * `npm run bench`: performance figures, as ratios against a baseline measured in the same run
 * on the same machine (these machines are noisy). Prints numbers; asserts nothing.
 */
import { benchJobLog } from './bench/job-log.ts';

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'job-log') await benchJobLog();
