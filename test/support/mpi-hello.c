/* A real MPI program for the tests: every rank reports where it runs, and an allreduce
 * proves the ranks really talk to each other across nodes. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int rank, size, sum = 0;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  const char *node = getenv("MPIBOX_NODE");
  printf("rank %d of %d on %s sum %d\n", rank, size, node ? node : "(unset)", sum);
  MPI_Finalize();
  return 0;
}
