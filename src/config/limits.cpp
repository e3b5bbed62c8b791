#include "config/limits.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace maintd::config {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

FileError not_regular(mode_t mode) {
  return {FileError::Kind::not_regular, fmt::format("not a regular file ({})", kind_of(mode))};
}

FileError too_large(std::string_view what, std::size_t limit, std::optional<std::size_t> size) {
  return {FileError::Kind::too_large,
          size ? fmt::format("the file is {} bytes, larger than {} bytes, the limit for {}", *size,
                             limit, what)
               : fmt::format("the file is larger than {} bytes, the limit for {}", limit, what)};
}

FileError system_error(int error) {
  return {FileError::Kind::system, std::strerror(error)};
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string over_limit(std::string_view what, std::size_t size, std::size_t limit,
                       std::string_view kind) {
  return fmt::format("{} is {} bytes, more than the limit of {} ({})", what, size, limit, kind);
}

Expected<std::string, FileError> read_regular_file(const std::filesystem::path& path,
                                                   std::size_t limit, std::string_view what) {
  // A look first: a device is never opened (opening one may do something), nor a FIFO (opening
  // one waits for a writer).
  struct stat before {};
  if (::stat(path.c_str(), &before) != 0) return Unexpected{system_error(errno)};
  if (!S_ISREG(before.st_mode)) return Unexpected{not_regular(before.st_mode)};
  // The path may have been replaced since: O_NONBLOCK keeps a FIFO that took its place from
  // blocking the open, and fstat says what was opened.
  const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return Unexpected{system_error(errno)};
  struct stat opened {};
  if (::fstat(fd.get(), &opened) != 0) return Unexpected{system_error(errno)};
  if (!S_ISREG(opened.st_mode)) return Unexpected{not_regular(opened.st_mode)};
  const auto size = static_cast<std::size_t>(opened.st_size);
  if (size > limit) return Unexpected{too_large(what, limit, size)};
  // Read to the end, one byte past the limit at most: the file may be growing.
  std::string content(std::min(size, limit) + 1, '\0');
  std::size_t length = 0;
  for (;;) {
    if (length == content.size()) {
      if (length > limit) return Unexpected{too_large(what, limit, std::nullopt)};
      content.resize(std::min(content.size() * 2, limit + 1));
    }
    const ssize_t got = ::read(fd.get(), content.data() + length, content.size() - length);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Unexpected{system_error(errno)};
    }
    if (got == 0) break;
    length += static_cast<std::size_t>(got);
  }
  content.resize(length);
  return content;
}

}  // namespace maintd::config
