// engine/atomic_file.hpp — writing files so that a reader never sees half of one, and a binary
// container with a version and a checksum.
//
// write_file_atomically: write to "<path>.tmp.<pid>", fsync, rename over <path>. A crash leaves either
// the old file or the new one, never a mix; on any error the temporary is removed and the old file kept.
//
// Checksummed container (parameters and checkpoints):
//   8 bytes magic | u32 format version | u64 payload length | payload | u64 FNV-1a of everything before
// read_checksummed() verifies all of it and names the file and what was wrong.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mtf {

void write_file_atomically(const std::string& path, std::string_view bytes);
/// Whole file as bytes; throws std::runtime_error naming the path if it cannot be read.
std::string read_file(const std::string& path);

std::string wrap_checksummed(std::string_view magic8, std::uint32_t version, std::string_view payload);
/// Returns the payload; throws std::runtime_error("<path>: ...") on a wrong magic, unsupported version,
/// truncation or checksum mismatch.
std::string unwrap_checksummed(const std::string& path, std::string_view bytes,
                               std::string_view magic8, std::uint32_t max_version,
                               std::uint32_t* version_out = nullptr);

}  // namespace mtf
