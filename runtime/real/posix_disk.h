// PosixDisk: the real env::Disk, files under one root directory through POSIX calls.
//
// Fault model (the one env/disk.h states, made true on a real file system): File::write
// and append reach the page cache only; File::sync() is fsync(2), after which the data
// survives a crash. create (open with a create mode, creating missing parent directories
// too), rename and remove fsync every directory whose entries they changed before
// returning ok, so a metadata change that returned ok survives a crash as well. An error
// from fsync means the data may or may not be durable; callers must assume it is not.
//
// Paths are '/'-separated and relative to the root. A path that is empty, absolute, or has
// an empty, "." or ".." component is rejected with kInvalidArgument, so no path reaches
// outside the root (symbolic links placed inside the root by someone else are followed).
//
// Every operation is a plain blocking system call. The Task-returning methods run it when
// the task is awaited and complete without suspending: node code pays the latency of the
// disk on its executor thread, which is what this implementation accepts for simplicity.
// Errors map from errno: ENOSPC and EDQUOT -> kNoSpace, ENOENT -> kNotFound, EEXIST ->
// kAlreadyExists, anything else -> kIo; the message names the operation, the path and
// strerror.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/env/bytes.h"
#include "runtime/env/disk.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"

namespace orbit::real {

// The Error for a failed system call: `context` (such as "open 'a/b'") and strerror.
[[nodiscard]] Error error_from_errno(int errno_value, std::string_view context);

// Ok for a path PosixDisk accepts (see above), kInvalidArgument otherwise.
[[nodiscard]] Result<void> check_relative_path(std::string_view path);

class PosixDisk final : public env::Disk {
 public:
  // A disk rooted at `root`, which is created (with its parents) if missing. Errors:
  // kInvalidArgument when root is empty or not a directory, kIo and others from mkdir.
  [[nodiscard]] static Result<std::unique_ptr<PosixDisk>> open_root(std::string root);

  Task<Result<std::unique_ptr<env::File>>> open(std::string path,
                                                 env::OpenMode mode) override;
  Task<Result<void>> rename(std::string from, std::string to) override;
  Task<Result<void>> remove(std::string path) override;
  // Regular files below the root whose relative path starts with `prefix`, recursively,
  // sorted bytewise. A prefix whose directory part is not a valid path is kInvalidArgument.
  Task<Result<std::vector<std::string>>> list(std::string prefix) override;
  Task<Result<uint64_t>> file_size(std::string path) override;

  [[nodiscard]] const std::string& root() const { return root_; }

 private:
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Use open_root(); public only so that make_unique can reach it.
  PosixDisk(PrivateTag, std::string root);

 private:
  // The synchronous bodies. The Task methods copy their arguments before deferring to
  // these, because a lazy coroutine must not keep a reference to a caller's temporary.
  Result<std::unique_ptr<env::File>> open_now(const std::string& path, env::OpenMode mode);
  Result<void> rename_now(const std::string& from, const std::string& to);
  Result<void> remove_now(const std::string& path);
  Result<std::vector<std::string>> list_now(const std::string& prefix);
  Result<uint64_t> file_size_now(const std::string& path);

  std::string absolute(std::string_view relative) const;
  Result<void> make_parent_dirs(std::string_view relative);

  std::string root_;
};

}  // namespace orbit::real
