// The Catch2 main of the MPI test executables (-DMTF_MPI=ON): the MPI session is open while the tests
// run, so ProcessGroup::world() is every process mpirun started. Each rank runs every test; a failure on
// any rank makes its exit status, hence mpirun's, non-zero.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "engine/distributed.hpp"

int main(int argc, char** argv) {
  mtf::MpiSession mpi(argc, argv);
  return Catch::Session().run(argc, argv);
}
