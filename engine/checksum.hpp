// engine/checksum.hpp — FNV-1a 64-bit checksum for detecting corrupted or truncated files.
// (Integrity against accidents, not against an adversary.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mtf {

std::uint64_t fnv1a64(const void* data, std::size_t bytes,
                      std::uint64_t seed = 0xcbf29ce484222325ull);
inline std::uint64_t fnv1a64(std::string_view s) { return fnv1a64(s.data(), s.size()); }

}  // namespace mtf
