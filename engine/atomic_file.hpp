// engine/atomic_file.hpp — writing files so that a reader never sees half of one, and a binary
// container with a version and a checksum.
//
// AtomicFileWriter: a file written in pieces (a log larger than memory) to "<path>.tmp.<pid>", then
// fsync'd and renamed over <path> by commit(). A crash leaves either the old file or the new one, never a
// mix; on any error, or when the writer is destroyed without commit(), the temporary is removed and the
// old file kept. write_file_atomically is the one-piece case.
//
// What the writer refuses or handles, because a rename replaces whatever the name pointed at:
//  * a symbolic link is followed: the link's target is replaced (atomically) and the link kept;
//    a link to nothing is refused;
//  * an existing directory, FIFO, device or socket is refused (a rename would turn /dev/full or a
//    named pipe into a regular file);
//  * temporaries left by a killed writer ("<path>.tmp.<pid>" of a process that no longer exists) are
//    removed by the next writer of the same path, so a crash leaves no file behind for long.
//
// Checksummed container (parameters and checkpoints):
//   8 bytes magic | u32 format version | u64 payload length | payload | u64 FNV-1a of everything before
// read_checksummed() verifies all of it and names the file and what was wrong.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mtf {

class AtomicFileWriter {
 public:
  /// Creates the temporary; throws std::runtime_error naming `path` when it cannot.
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  /// Appends bytes; throws (and removes the temporary) on a write error.
  void write(std::string_view bytes);
  /// fsync, close, rename over the path. After it the writer is spent.
  void commit();

 private:
  void abandon();
  std::string path_, target_, tmp_;  // target_: path_ with a symbolic link resolved
  int fd_ = -1;
};

void write_file_atomically(const std::string& path, std::string_view bytes);
/// Removes "<path>.tmp.<pid>" files whose process no longer exists (a writer killed before its
/// rename); returns how many. A pid that is alive (the writer may still be running) keeps its file.
int remove_stale_temporaries(const std::string& path);
/// Whole file as bytes; throws std::runtime_error naming the path if it cannot be read, is a directory,
/// or holds more than max_bytes. Pipes and character devices are read to their end.
std::string read_file(const std::string& path, std::size_t max_bytes = std::string::npos);

std::string wrap_checksummed(std::string_view magic8, std::uint32_t version, std::string_view payload);
/// Returns the payload; throws std::runtime_error("<path>: ...") on a wrong magic, unsupported version,
/// truncation or checksum mismatch.
std::string unwrap_checksummed(const std::string& path, std::string_view bytes,
                               std::string_view magic8, std::uint32_t max_version,
                               std::uint32_t* version_out = nullptr);

}  // namespace mtf
