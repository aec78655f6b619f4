// engine/checksum.hpp — the project's two 64-bit checksums, for detecting corrupted or truncated files
// and for telling whether data changed (integrity against accidents, not against an adversary):
//   fnv1a64  byte at a time: the checksum of the versioned containers (atomic_file.hpp, checkpoints)
//   hash64   eight bytes at a time, several GB/s: content fingerprints of large data (a log's text for its
//            binary cache, a training split in a checkpoint)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mtf {

std::uint64_t fnv1a64(const void* data, std::size_t bytes,
                      std::uint64_t seed = 0xcbf29ce484222325ull);
inline std::uint64_t fnv1a64(std::string_view s) { return fnv1a64(s.data(), s.size()); }

/// Multiply–xorshift mixing over 8-byte words (not cryptographic); `seed` chains several buffers.
std::uint64_t hash64(const void* data, std::size_t bytes, std::uint64_t seed = 0);

}  // namespace mtf
