// engine/distributed.cpp — ProcessGroup and MpiSession, over MPI when built with -DMTF_MPI=ON (MTF_MPI
// defined), as one process otherwise. The only file of the library that includes <mpi.h>.
#include "engine/distributed.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>

#ifdef MTF_MPI
#include <mpi.h>
#endif

namespace mtf {

namespace {
ProcessGroup g_world;         // rank 0 of 1 until an MpiSession says otherwise
bool g_session_alive = false;  // at most one MpiSession per process (MPI_Init may run once)

#ifdef MTF_MPI
void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string("MPI: ") + what + " failed: " + std::string(text, std::size_t(length)));
}
#endif
}  // namespace

const ProcessGroup& ProcessGroup::world() { return g_world; }

const ProcessGroup& ProcessGroup::single() {
  static const ProcessGroup one;
  return one;
}

void ProcessGroup::allgather_rows(float* data, std::ptrdiff_t rows, std::ptrdiff_t row_floats,
                                  std::ptrdiff_t parts) const {
  allgather(data, rows, row_floats, parts, int(sizeof(float)));
}

void ProcessGroup::allgather_rows(double* data, std::ptrdiff_t rows, std::ptrdiff_t row_doubles,
                                  std::ptrdiff_t parts) const {
  allgather(data, rows, row_doubles, parts, int(sizeof(double)));
}

void ProcessGroup::allgather(void* data, std::ptrdiff_t rows, std::ptrdiff_t row_elements, std::ptrdiff_t parts,
                             int element_bytes) const {
  if (size_ == 1) return;
#ifdef MTF_MPI
  // Rank r's rows are the union of its parts' rows: one contiguous block, in rank order.
  for (int r = 0; r < size_; ++r) {
    const Range mine = split_range(parts, size_, r);
    const std::ptrdiff_t begin = mine.size() > 0 ? split_range(rows, parts, mine.begin).begin : 0;
    const std::ptrdiff_t end = mine.size() > 0 ? split_range(rows, parts, mine.end - 1).end : 0;
    const std::ptrdiff_t count = (end - begin) * row_elements, displ = begin * row_elements;
    // MPI counts are int; a block of 2^31 floats (8 GiB) is far beyond engine/limits.hpp's networks.
    if (count > INT_MAX || displ > INT_MAX)
      throw std::length_error("ProcessGroup::allgather_rows: a block of " + std::to_string(count) +
                              " elements exceeds MPI's int counts");
    counts_[std::size_t(r)] = int(count);
    displs_[std::size_t(r)] = int(displ);
  }
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts_.data(), displs_.data(),
                       element_bytes == int(sizeof(double)) ? MPI_DOUBLE : MPI_FLOAT, MPI_COMM_WORLD),
        "MPI_Allgatherv");
#else
  (void)data, (void)rows, (void)row_elements, (void)parts, (void)element_bytes;
#endif
}

void ProcessGroup::allgather_i64(const std::int64_t* mine, std::ptrdiff_t count, std::int64_t* all) const {
  if (size_ == 1) {
    std::copy_n(mine, count, all);
    return;
  }
#ifdef MTF_MPI
  if (count > INT_MAX) throw std::length_error("ProcessGroup::allgather_i64: too many values");
  check(MPI_Allgather(mine, int(count), MPI_INT64_T, all, int(count), MPI_INT64_T, MPI_COMM_WORLD), "MPI_Allgather");
#endif
}

void ProcessGroup::allgather_blocks(std::uint32_t* data, const std::int64_t* offsets) const {
  if (size_ == 1) return;
#ifdef MTF_MPI
  for (int r = 0; r < size_; ++r) {
    const std::int64_t count = offsets[r + 1] - offsets[r];
    if (count < 0 || offsets[r + 1] > INT_MAX)
      throw std::length_error("ProcessGroup::allgather_blocks: blocks must be ordered and end below 2^31 words");
    counts_[std::size_t(r)] = int(count);
    displs_[std::size_t(r)] = int(offsets[r]);
  }
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts_.data(), displs_.data(), MPI_UINT32_T,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
#else
  (void)data, (void)offsets;
#endif
}

void ProcessGroup::broadcast(std::string& text, int root) const {
  if (size_ == 1) return;
#ifdef MTF_MPI
  std::int64_t length = std::int64_t(text.size());
  check(MPI_Bcast(&length, 1, MPI_INT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
  if (length > INT_MAX) throw std::length_error("ProcessGroup::broadcast: text of 2 GiB or more");
  text.resize(std::size_t(length));
  check(MPI_Bcast(text.data(), int(length), MPI_CHAR, root, MPI_COMM_WORLD), "MPI_Bcast");
#else
  (void)text, (void)root;
#endif
}

void ProcessGroup::barrier() const {
  if (size_ == 1) return;
#ifdef MTF_MPI
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#endif
}

MpiSession::MpiSession(int& argc, char**& argv) {
  if (g_session_alive) throw std::logic_error("MpiSession: one per process");
  g_session_alive = true;
#ifdef MTF_MPI
  int provided = 0;
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error("MPI: the library does not provide MPI_THREAD_FUNNELED");
  }
  // Errors come back as codes (check() turns them into exceptions) instead of aborting inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_world.rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &g_world.size_);
  g_world.counts_.assign(std::size_t(g_world.size_), 0);
  g_world.displs_.assign(std::size_t(g_world.size_), 0);
#else
  (void)argc, (void)argv;
#endif
}

MpiSession::~MpiSession() {
#ifdef MTF_MPI
  MPI_Finalize();
#endif
  g_world = ProcessGroup();
  g_session_alive = false;
}

void MpiSession::abort_run(int status) {
#ifdef MTF_MPI
  if (g_world.size() > 1) MPI_Abort(MPI_COMM_WORLD, status);
#endif
  (void)status;
}

bool mpi_built() {
#ifdef MTF_MPI
  return true;
#else
  return false;
#endif
}

std::string mpi_summary() {
#ifdef MTF_MPI
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, std::size_t(length));
  const std::size_t comma = text.find(',');  // Open MPI: "Open MPI v4.1.4, package: ..., ident: ..."
  return "MPI (" + text.substr(0, comma) + ")";
#else
  return "no MPI";
#endif
}

}  // namespace mtf
