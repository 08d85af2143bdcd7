/* mpibox's readiness check: a cluster is "ready" only once MPI works across every node.
 * Usage: mpibox-check <ranks per node>, with ranks mapped node by node (ppr:K:node), so rank r
 * runs on node r / K in machinefile order.
 *
 * Every rank takes part in an allreduce and a ring (each rank sends 64 KiB to the next and
 * checks what the previous one sent), so shared memory inside a node and the network between
 * nodes both carry data. Rank 0 then measures, against the first rank of every other node,
 * the round-trip latency of 8-byte messages and the bandwidth of 4 MiB ones.
 *
 * Output, one fact a line, read by the bot (services/ready-check.ts):
 *   MPIBOX-CHECK peer <node> <host> <half round trip, us> <bandwidth, MB/s>
 *   MPIBOX-CHECK bad <node> <host> <what>
 *   MPIBOX-CHECK done <ranks> <nodes> ok|fail
 * Exit status 0 only when every rank saw the right data. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_WORDS (8 * 1024)     /* 64 KiB of doubles */
#define BW_BYTES (4 * 1024 * 1024) /* 4 MiB */
#define LAT_ROUNDS 200
#define BW_ROUNDS 8

int main(int argc, char **argv) {
  int rank, size, ppn = argc > 1 ? atoi(argv[1]) : 1;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (ppn < 1) ppn = 1;
  int nodes = (size + ppn - 1) / ppn;

  char host[MPI_MAX_PROCESSOR_NAME] = {0};
  int host_len = 0;
  MPI_Get_processor_name(host, &host_len);
  char *hosts = malloc((size_t)size * MPI_MAX_PROCESSOR_NAME);
  MPI_Allgather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
#define HOST_OF(r) (hosts + (size_t)(r) * MPI_MAX_PROCESSOR_NAME)

  int ok = 1;
  long mine = rank + 1, sum = 0;
  MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  if (sum != (long)size * (size + 1) / 2) {
    printf("MPIBOX-CHECK bad %d %s allreduce gave %ld, not %ld\n", rank / ppn, host, sum, (long)size * (size + 1) / 2);
    ok = 0;
  }

  double *out = malloc(RING_WORDS * sizeof(double)), *in = malloc(RING_WORDS * sizeof(double));
  int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  for (int i = 0; i < RING_WORDS; i++) out[i] = rank * 1e6 + i;
  MPI_Sendrecv(out, RING_WORDS, MPI_DOUBLE, next, 1, in, RING_WORDS, MPI_DOUBLE, prev, 1, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  for (int i = 0; i < RING_WORDS; i++) {
    if (in[i] != prev * 1e6 + i) {
      printf("MPIBOX-CHECK bad %d %s ring data from rank %d was wrong\n", prev / ppn, HOST_OF(prev), prev);
      ok = 0;
      break;
    }
  }
  fflush(stdout);

  /* Rank 0 against the first rank of each other node, one node at a time. */
  char *buffer = malloc(BW_BYTES);
  memset(buffer, rank & 0xff, BW_BYTES);
  for (int node = 1; node < nodes; node++) {
    int peer = node * ppn;
    if (peer >= size) break;
    if (rank == 0) {
      double start = MPI_Wtime();
      for (int i = 0; i < LAT_ROUNDS; i++) {
        MPI_Send(buffer, 8, MPI_CHAR, peer, 2, MPI_COMM_WORLD);
        MPI_Recv(buffer, 8, MPI_CHAR, peer, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      }
      double latency_us = (MPI_Wtime() - start) / LAT_ROUNDS / 2 * 1e6;
      start = MPI_Wtime();
      for (int i = 0; i < BW_ROUNDS; i++) {
        MPI_Send(buffer, BW_BYTES, MPI_CHAR, peer, 3, MPI_COMM_WORLD);
        MPI_Recv(buffer, 1, MPI_CHAR, peer, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      }
      double bandwidth = (double)BW_BYTES * BW_ROUNDS / (MPI_Wtime() - start) / 1e6;
      printf("MPIBOX-CHECK peer %d %s %.1f %.0f\n", node, HOST_OF(peer), latency_us, bandwidth);
      fflush(stdout);
    } else if (rank == peer) {
      for (int i = 0; i < LAT_ROUNDS; i++) {
        MPI_Recv(buffer, 8, MPI_CHAR, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer, 8, MPI_CHAR, 0, 2, MPI_COMM_WORLD);
      }
      for (int i = 0; i < BW_ROUNDS; i++) {
        MPI_Recv(buffer, BW_BYTES, MPI_CHAR, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer, 1, MPI_CHAR, 0, 3, MPI_COMM_WORLD);
      }
    }
  }

  int all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  if (rank == 0) printf("MPIBOX-CHECK done %d %d %s\n", size, nodes, all_ok ? "ok" : "fail");
  free(buffer);
  free(out);
  free(in);
  free(hosts);
  MPI_Finalize();
  return all_ok ? 0 : 3;
}
