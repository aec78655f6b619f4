#include "engine/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <cerrno>
#include <cstdio>
#include <cstring>
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
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}
}  // namespace

int remove_stale_temporaries(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;  // the writer itself will report an unusable directory
  int removed = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(digits.c_str(), nullptr, 10);
    // kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means it is alive.
    if (pid <= 0 || pid == ::getpid() || ::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
    if (::unlink((dir + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)), target_(path_) {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      // Follow the link: renaming over the link itself would replace it with a regular file.
      char resolved[PATH_MAX];
      if (!::realpath(path_.c_str(), resolved))
        fail(path_, std::string("a symbolic link that cannot be followed (") + std::strerror(errno) +
                        "): refusing to replace the link");
      target_ = resolved;
      if (::stat(target_.c_str(), &st) != 0) fail(path_, std::string("cannot stat: ") + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
      fail(path_, std::string("is ") + file_kind(st.st_mode) +
                      "; outputs are written only to regular files (written beside and renamed over, which would "
                      "replace it)");
  }
  remove_stale_temporaries(target_);
  tmp_ = target_ + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, std::string("cannot create temporary file ") + tmp_ + ": " + std::strerror(errno));
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
  if (std::rename(tmp_.c_str(), target_.c_str()) != 0) {
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

std::string read_file(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open for reading: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "is a directory, not a file");
  auto too_large = [&](std::size_t n) {
    fail(path, std::to_string(n) + " bytes exceed the limit of " + std::to_string(max_bytes) + " for this file");
  };
  std::string out;
  if (S_ISREG(st.st_mode)) {
    if (std::size_t(st.st_size) > max_bytes) too_large(std::size_t(st.st_size));
    out.reserve(std::size_t(st.st_size));
  }
  // Read to the end rather than trusting st_size: a pipe has none, and a file may grow meanwhile.
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail(path, std::string("read error: ") + std::strerror(errno));
    }
    if (r == 0) break;
    if (out.size() + std::size_t(r) > max_bytes) too_large(out.size() + std::size_t(r));
    out.append(buf, std::size_t(r));
  }
  return out;
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
