/* A real MPI workload for the tests, as HPC users run it: several ranks per node. Every rank
 * checks an allreduce and a point-to-point ring (1 MiB messages, so shared memory inside a node
 * and TCP between nodes both carry real traffic), and counts the ranks Open MPI placed on its
 * own node (MPI_COMM_TYPE_SHARED). It prints one line and exits non-zero on a wrong answer. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WORDS (1 << 17) /* 1 MiB of doubles */

int main(int argc, char **argv) {
  int rank, size, local_size, ok = 1;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size);

  long sum = 0, mine = rank + 1;
  MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  int allreduce_ok = sum == (long)size * (size + 1) / 2;

  double *out = malloc(WORDS * sizeof(double)), *in = malloc(WORDS * sizeof(double));
  int next = (rank + 1) % size, prev = (rank + size - 1) % size, ring_ok = 1;
  for (int round = 0; round < 20; round++) {
    for (int i = 0; i < WORDS; i++) out[i] = rank * 1e6 + round * 1e3 + i % 997;
    MPI_Sendrecv(out, WORDS, MPI_DOUBLE, next, round, in, WORDS, MPI_DOUBLE, prev, round, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    for (int i = 0; i < WORDS; i++)
      if (in[i] != prev * 1e6 + round * 1e3 + i % 997) ring_ok = 0;
  }
  ok = allreduce_ok && ring_ok;
  int all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);

  char host[256];
  gethostname(host, sizeof host);
  const char *node = getenv("MPIBOX_NODE");
  printf("rank %d of %d on %s host %s local %d allreduce %s ring %s\n", rank, size, node ? node : "(unset)", host,
         local_size, allreduce_ok ? "ok" : "WRONG", ring_ok ? "ok" : "WRONG");
  free(out);
  free(in);
  MPI_Comm_free(&local);
  MPI_Finalize();
  return all_ok ? 0 : 3;
}
