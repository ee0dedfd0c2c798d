#include "runtime/real/posix_disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

namespace orbit::real {
namespace {

constexpr uint64_t kMaxOffset = static_cast<uint64_t>(std::numeric_limits<off_t>::max());

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string in_quotes(std::string_view path) { return "'" + std::string(path) + "'"; }

Error errno_error(std::string_view operation, std::string_view path,
                  std::string_view second_path = {});

// The relative parent of a relative path ("" for a file at the root).
std::string_view parent_of(std::string_view relative) {
  const size_t slash = relative.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : relative.substr(0, slash);
}

// Runs a deferred body when the task is awaited. The body holds copies of its inputs, so
// the task may be awaited after the caller's arguments are gone.
template <typename T, typename Body>
Task<T> deferred(Body body) {
  co_return body();
}

Result<void> fsync_directory(const std::string& directory, std::string_view shown_as) {
  int fd;
  do {
    fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_error("open for fsync the directory", shown_as);
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc < 0 && errno == EINTR);
  const int saved = errno;
  ::close(fd);
  if (rc < 0) return error_from_errno(saved, "fsync directory " + in_quotes(shown_as));
  return {};
}

class PosixFile final : public env::File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  Task<Result<void>> write(uint64_t offset, Bytes data) override {
    co_return write_now(offset, data);
  }

  Task<Result<uint64_t>> append(Bytes data) override {
    const Result<uint64_t> end = size();
    if (!end.ok()) co_return end;
    const Result<void> written = write_now(*end, data);
    if (!written.ok()) co_return written.error();
    co_return *end;
  }

  Task<Result<Bytes>> read(uint64_t offset, uint64_t length) override {
    co_return read_now(offset, length);
  }

  Task<Result<void>> sync() override {
    int rc;
    do {
      rc = ::fsync(fd_);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) co_return errno_error("fsync", path_);
    co_return Result<void>{};
  }

  Result<uint64_t> size() const override {
    struct stat st {};
    if (::fstat(fd_, &st) < 0) return errno_error("stat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  Task<Result<void>> truncate(uint64_t length) override {
    if (length > kMaxOffset) co_return invalid("truncate " + in_quotes(path_) + ": length too large");
    int rc;
    do {
      rc = ::ftruncate(fd_, static_cast<off_t>(length));
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) co_return errno_error("truncate", path_);
    co_return Result<void>{};
  }

  const std::string& path() const override { return path_; }

 private:
  Result<void> write_now(uint64_t offset, const Bytes& data) {
    if (offset > kMaxOffset || data.size() > kMaxOffset - offset) {
      return invalid("write " + in_quotes(path_) + ": offset " + std::to_string(offset) +
                     " out of range");
    }
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("write", path_);
      }
      if (n == 0) return make_error(ErrorCode::kIo, "write " + in_quotes(path_) + ": wrote nothing");
      done += static_cast<size_t>(n);
    }
    return {};
  }

  Result<Bytes> read_now(uint64_t offset, uint64_t length) {
    const Result<uint64_t> file_size = size();
    if (!file_size.ok()) return file_size.error();
    if (offset >= *file_size) return Bytes{};
    // Never allocate more than the file holds, whatever length the caller asked for.
    Bytes out(static_cast<size_t>(std::min(length, *file_size - offset)));
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                                static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("read", path_);
      }
      if (n == 0) break;  // the file shrank meanwhile
      done += static_cast<size_t>(n);
    }
    out.resize(done);
    return out;
  }

  const int fd_;
  const std::string path_;
};

}  // namespace

Error error_from_errno(int errno_value, std::string_view context) {
  ErrorCode code = ErrorCode::kIo;
  switch (errno_value) {
    case ENOSPC:
    case EDQUOT:
      code = ErrorCode::kNoSpace;
      break;
    case ENOENT:
      code = ErrorCode::kNotFound;
      break;
    case EEXIST:
      code = ErrorCode::kAlreadyExists;
      break;
    default:
      break;
  }
  return make_error(code, std::string(context) + ": " + std::generic_category().message(errno_value));
}

namespace {
// Reads errno before anything can clobber it: callers pass views of existing strings, so
// evaluating the arguments allocates nothing.
Error errno_error(std::string_view operation, std::string_view path, std::string_view second_path) {
  const int saved = errno;
  std::string context = std::string(operation) + " " + in_quotes(path);
  if (!second_path.empty()) context += " to " + in_quotes(second_path);
  return error_from_errno(saved, context);
}
}  // namespace

Result<void> check_relative_path(std::string_view path) {
  if (path.empty()) return invalid("empty path");
  if (path.front() == '/') return invalid("absolute path " + in_quotes(path) + " (paths are relative to the disk root)");
  if (path.find('\0') != std::string_view::npos) return invalid("path with a NUL byte");
  size_t start = 0;
  while (true) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view component = path.substr(start, slash - start);
    if (component.empty()) return invalid("path " + in_quotes(path) + " has an empty component");
    if (component == "." || component == "..") {
      return invalid("path " + in_quotes(path) + " has a '" + std::string(component) + "' component");
    }
    if (slash == path.size()) return {};
    start = slash + 1;
  }
}

Result<std::unique_ptr<PosixDisk>> PosixDisk::open_root(std::string root) {
  if (root.empty()) return invalid("empty disk root");
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  std::error_code is_directory_ec;
  if (!std::filesystem::is_directory(root, is_directory_ec)) {
    if (std::filesystem::exists(root, is_directory_ec)) {
      return invalid("disk root " + in_quotes(root) + " is not a directory");
    }
    return error_from_errno(ec ? ec.value() : ENOENT, "create disk root " + in_quotes(root));
  }
  return std::make_unique<PosixDisk>(PrivateTag{}, std::move(root));
}

PosixDisk::PosixDisk(PrivateTag, std::string root) : root_(std::move(root)) {}

std::string PosixDisk::absolute(std::string_view relative) const {
  if (relative.empty()) return root_;
  return root_ + "/" + std::string(relative);
}

Result<void> PosixDisk::make_parent_dirs(std::string_view relative) {
  const std::string_view parent = parent_of(relative);
  size_t start = 0;
  while (start < parent.size()) {
    const size_t slash = std::min(parent.find('/', start), parent.size());
    const std::string_view made = parent.substr(0, slash);
    if (::mkdir(absolute(made).c_str(), 0755) == 0) {
      // The new entry lives in its parent directory: make it durable there.
      if (Result<void> synced = fsync_directory(absolute(parent_of(made)), parent_of(made));
          !synced.ok()) {
        return synced;
      }
    } else if (errno != EEXIST) {
      return errno_error("create directory", made);
    }
    start = slash + 1;
  }
  return {};
}

Result<std::unique_ptr<env::File>> PosixDisk::open_now(const std::string& path, env::OpenMode mode) {
  if (Result<void> valid = check_relative_path(path); !valid.ok()) return valid.error();
  if (mode != env::OpenMode::kOpenExisting) {
    if (Result<void> made = make_parent_dirs(path); !made.ok()) return made.error();
  }
  const std::string full = absolute(path);
  const int flags = O_RDWR | O_CLOEXEC;
  auto open_file = [&full](int extra) {
    int fd;
    do {
      fd = ::open(full.c_str(), flags | extra, 0644);
    } while (fd < 0 && errno == EINTR);
    return fd;
  };
  int fd = -1;
  bool created = false;
  switch (mode) {
    case env::OpenMode::kOpenExisting:
      fd = open_file(0);
      break;
    case env::OpenMode::kCreateExclusive:
      fd = open_file(O_CREAT | O_EXCL);
      created = fd >= 0;
      break;
    case env::OpenMode::kCreateIfMissing:
      // Try without creating first, so the directory is fsynced only when we did create.
      fd = open_file(0);
      if (fd < 0 && errno == ENOENT) {
        fd = open_file(O_CREAT | O_EXCL);
        created = fd >= 0;
        if (fd < 0 && errno == EEXIST) fd = open_file(0);  // lost a race: it exists now
      }
      break;
  }
  if (fd < 0) return errno_error("open", path);
  auto file = std::make_unique<PosixFile>(fd, path);
  if (created) {
    const std::string_view parent = parent_of(path);
    if (Result<void> synced = fsync_directory(absolute(parent), parent); !synced.ok()) {
      return synced.error();
    }
  }
  return std::unique_ptr<env::File>(std::move(file));
}

Result<void> PosixDisk::rename_now(const std::string& from, const std::string& to) {
  if (Result<void> valid = check_relative_path(from); !valid.ok()) return valid;
  if (Result<void> valid = check_relative_path(to); !valid.ok()) return valid;
  struct stat st {};
  if (::lstat(absolute(from).c_str(), &st) < 0) {
    return errno_error("rename", from);
  }
  if (Result<void> made = make_parent_dirs(to); !made.ok()) return made;
  if (::rename(absolute(from).c_str(), absolute(to).c_str()) < 0) {
    return errno_error("rename", from, to);
  }
  const std::string_view to_parent = parent_of(to);
  const std::string_view from_parent = parent_of(from);
  if (Result<void> synced = fsync_directory(absolute(to_parent), to_parent); !synced.ok()) {
    return synced;
  }
  if (from_parent != to_parent) return fsync_directory(absolute(from_parent), from_parent);
  return {};
}

Result<void> PosixDisk::remove_now(const std::string& path) {
  if (Result<void> valid = check_relative_path(path); !valid.ok()) return valid;
  if (::unlink(absolute(path).c_str()) < 0) return errno_error("remove", path);
  const std::string_view parent = parent_of(path);
  return fsync_directory(absolute(parent), parent);
}

Result<uint64_t> PosixDisk::file_size_now(const std::string& path) {
  if (Result<void> valid = check_relative_path(path); !valid.ok()) return valid.error();
  struct stat st {};
  if (::stat(absolute(path).c_str(), &st) < 0) {
    return errno_error("size of", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kNotFound, "size of " + in_quotes(path) + ": not a regular file");
  }
  return static_cast<uint64_t>(st.st_size);
}

Result<std::vector<std::string>> PosixDisk::list_now(const std::string& prefix) {
  if (!prefix.empty() && prefix.front() == '/') {
    return invalid("list prefix " + in_quotes(prefix) + " is absolute");
  }
  // Walk only the directory the prefix names, after checking it stays inside the root.
  const std::string_view directory = parent_of(prefix);
  if (!directory.empty()) {
    if (Result<void> valid = check_relative_path(directory); !valid.ok()) return valid.error();
  }
  std::vector<std::string> out;
  const std::string base = absolute(directory);
  const size_t root_length = root_.size() + 1;  // the root and its '/'
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(base, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return out;
    return error_from_errno(ec.value(), "list " + in_quotes(prefix));
  }
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || ec) {
      ec.clear();
      continue;
    }
    std::string path = it->path().string();
    if (path.size() <= root_length) continue;
    path.erase(0, root_length);
    if (path.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(path));
  }
  if (ec) return error_from_errno(ec.value(), "list " + in_quotes(prefix));
  std::sort(out.begin(), out.end());
  return out;
}

// ---- Task wrappers -----------------------------------------------------------------------

Task<Result<std::unique_ptr<env::File>>> PosixDisk::open(std::string path,
                                                          env::OpenMode mode) {
  return deferred<Result<std::unique_ptr<env::File>>>(
      [this, path, mode] { return open_now(path, mode); });
}

Task<Result<void>> PosixDisk::rename(std::string from, std::string to) {
  return deferred<Result<void>>([this, from, to] { return rename_now(from, to); });
}

Task<Result<void>> PosixDisk::remove(std::string path) {
  return deferred<Result<void>>([this, path] { return remove_now(path); });
}

Task<Result<std::vector<std::string>>> PosixDisk::list(std::string prefix) {
  return deferred<Result<std::vector<std::string>>>([this, prefix] { return list_now(prefix); });
}

Task<Result<uint64_t>> PosixDisk::file_size(std::string path) {
  return deferred<Result<uint64_t>>([this, path] { return file_size_now(path); });
}

}  // namespace orbit::real
