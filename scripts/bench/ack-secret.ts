/** Signing secret shared by the ack-latency benchmark's client and servers. */
export const BENCH_SIGNING_SECRET = 'bench-signing-secret';
