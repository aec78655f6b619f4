#include "engine/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/checksum.hpp"

namespace mtf {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}
template <class U>
void put(std::string& out, U v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(U));
}
template <class U>
U get(std::string_view bytes, std::size_t at) {
  U v;
  std::memcpy(&v, bytes.data() + at, sizeof(U));
  return v;
}
}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  tmp_ = path_ + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd_ < 0) fail(path_, std::string("cannot create temporary file: ") + std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() { abandon(); }

void AtomicFileWriter::abandon() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(tmp_.c_str());
  fd_ = -1;
}

void AtomicFileWriter::write(std::string_view bytes) {
  if (fd_ < 0) fail(path_, "write after commit or after a failed write");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      abandon();
      fail(path_, "write failed: " + err);
    }
    done += std::size_t(w);
  }
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) fail(path_, "commit after commit or after a failed write");
  const int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp_.c_str());
    fail(path_, "fsync failed: " + err);
  }
  if (::close(fd) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp_.c_str());
    fail(path_, "close failed: " + err);
  }
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp_.c_str());
    fail(path_, "rename failed: " + err);
  }
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  AtomicFileWriter out(path);
  out.write(bytes);
  out.commit();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(path, "read error");
  return ss.str();
}

std::string wrap_checksummed(std::string_view magic8, std::uint32_t version, std::string_view payload) {
  if (magic8.size() != 8) throw std::invalid_argument("wrap_checksummed: magic must be 8 bytes");
  std::string out;
  out.reserve(8 + 4 + 8 + payload.size() + 8);
  out.append(magic8);
  put<std::uint32_t>(out, version);
  put<std::uint64_t>(out, payload.size());
  out.append(payload);
  put<std::uint64_t>(out, fnv1a64(out));
  return out;
}

std::string unwrap_checksummed(const std::string& path, std::string_view bytes,
                               std::string_view magic8, std::uint32_t max_version,
                               std::uint32_t* version_out) {
  constexpr std::size_t kHeader = 8 + 4 + 8, kTrailer = 8;
  if (bytes.size() < kHeader + kTrailer)
    fail(path, "truncated file (" + std::to_string(bytes.size()) + " bytes, header needs " +
                   std::to_string(kHeader + kTrailer) + ")");
  if (bytes.substr(0, 8) != magic8)
    fail(path, "not a " + std::string(magic8) + " file (wrong magic bytes)");
  const auto version = get<std::uint32_t>(bytes, 8);
  if (version == 0 || version > max_version)
    fail(path, "unsupported format version " + std::to_string(version) + " (this build reads 1.." +
                   std::to_string(max_version) + ")");
  const auto length = get<std::uint64_t>(bytes, 12);
  if (length != bytes.size() - kHeader - kTrailer)
    fail(path, "truncated or padded file: header says " + std::to_string(length) +
                   " payload bytes, file has " + std::to_string(bytes.size() - kHeader - kTrailer));
  const auto stored = get<std::uint64_t>(bytes, bytes.size() - kTrailer);
  if (stored != fnv1a64(bytes.data(), bytes.size() - kTrailer))
    fail(path, "checksum mismatch: the file is corrupted");
  if (version_out) *version_out = version;
  return std::string(bytes.substr(kHeader, length));
}

}  // namespace mtf
