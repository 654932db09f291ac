#include "tarmac/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tarmac::util {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("could not write ", temp, ": ", std::strerror(errno)));
  }
  const char* at = bytes.data();
  std::size_t left = bytes.size();
  int error = 0;
  while (left > 0 && error == 0) {
    const ssize_t n = ::write(fd, at, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : EIO;
      break;
    }
    at += n;
    left -= static_cast<std::size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && std::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
    std::remove(temp.c_str());
    return absl::InternalError(
        absl::StrCat("could not rename ", temp, " into ", path, ": ", std::strerror(error)));
  }
  if (error != 0) {
    std::remove(temp.c_str());
    return absl::InternalError(absl::StrCat("could not write ", temp, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace tarmac::util
