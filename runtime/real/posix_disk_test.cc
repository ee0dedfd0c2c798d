#include "runtime/real/posix_disk.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"

namespace orbit::real {
namespace {

using env::OpenMode;

// PosixDisk's tasks complete without suspending, so spawning one runs it to the end.
template <typename T>
T run_now(Task<T> task) {
  std::optional<T> out;
  TaskScope scope;
  scope.spawn([](Task<T> t, std::optional<T>& o) -> Task<void> {
    o.emplace(co_await std::move(t));
  }(std::move(task), out));
  EXPECT_TRUE(out.has_value()) << "a PosixDisk task suspended";
  return std::move(*out);
}

class PosixDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/posix_disk_test/" + info->name();
    std::filesystem::remove_all(root_);
    Result<std::unique_ptr<PosixDisk>> disk = PosixDisk::open_root(root_ + "/");
    ASSERT_TRUE(disk.ok()) << to_string(disk.error());
    disk_ = std::move(disk).value();
  }

  std::unique_ptr<env::File> open(const std::string& path, OpenMode mode) {
    Result<std::unique_ptr<env::File>> file = run_now(disk_->open(path, mode));
    EXPECT_TRUE(file.ok()) << path << ": " << to_string(file.error());
    return file.ok() ? std::move(file).value() : nullptr;
  }

  ErrorCode open_error(const std::string& path, OpenMode mode) {
    Result<std::unique_ptr<env::File>> file = run_now(disk_->open(path, mode));
    EXPECT_FALSE(file.ok()) << path;
    return file.ok() ? ErrorCode::kIo : file.code();
  }

  void write_file(const std::string& path, const std::string& content) {
    auto file = open(path, OpenMode::kCreateIfMissing);
    ASSERT_NE(file, nullptr);
    ASSERT_TRUE(run_now(file->truncate(0)).ok());
    ASSERT_TRUE(run_now(file->write(0, to_bytes(content))).ok());
    ASSERT_TRUE(run_now(file->sync()).ok());
  }

  std::string read_file(const std::string& path) {
    auto file = open(path, OpenMode::kOpenExisting);
    if (file == nullptr) return "<missing>";
    Result<Bytes> data = run_now(file->read(0, UINT64_MAX));
    EXPECT_TRUE(data.ok());
    return data.ok() ? to_string(ByteView(*data)) : "<error>";
  }

  std::vector<std::string> list(const std::string& prefix) {
    Result<std::vector<std::string>> paths = run_now(disk_->list(prefix));
    EXPECT_TRUE(paths.ok()) << to_string(paths.error());
    return paths.ok() ? *paths : std::vector<std::string>{};
  }

  std::string root_;
  std::unique_ptr<PosixDisk> disk_;
};

TEST_F(PosixDiskTest, RootIsCreatedAndNormalized) {
  EXPECT_TRUE(std::filesystem::is_directory(root_));
  EXPECT_EQ(disk_->root(), root_);  // the trailing '/' was dropped
  EXPECT_EQ(PosixDisk::open_root("").code(), ErrorCode::kInvalidArgument);
  write_file("plain", "x");
  EXPECT_EQ(PosixDisk::open_root(root_ + "/plain").code(), ErrorCode::kInvalidArgument);
}

TEST_F(PosixDiskTest, OpenModes) {
  EXPECT_EQ(open_error("missing", OpenMode::kOpenExisting), ErrorCode::kNotFound);
  EXPECT_EQ(open_error("no/such/dir/file", OpenMode::kOpenExisting), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/no"));  // opening never creates directories

  auto created = open("a/b/c.log", OpenMode::kCreateIfMissing);  // parents created on demand
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->path(), "a/b/c.log");
  EXPECT_TRUE(std::filesystem::is_regular_file(root_ + "/a/b/c.log"));
  ASSERT_TRUE(run_now(created->write(0, to_bytes("kept"))).ok());
  // Opening an existing file with kCreateIfMissing neither fails nor truncates it.
  auto again = open("a/b/c.log", OpenMode::kCreateIfMissing);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(*again->size(), 4u);
  EXPECT_NE(open("a/b/c.log", OpenMode::kOpenExisting), nullptr);

  EXPECT_NE(open("x/once", OpenMode::kCreateExclusive), nullptr);
  EXPECT_EQ(open_error("x/once", OpenMode::kCreateExclusive), ErrorCode::kAlreadyExists);
}

TEST_F(PosixDiskTest, WriteReadAppendTruncateSyncSize) {
  auto file = open("data", OpenMode::kCreateExclusive);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(*file->size(), 0u);
  ASSERT_TRUE(run_now(file->write(0, to_bytes("hello"))).ok());
  ASSERT_TRUE(run_now(file->write(8, to_bytes("!"))).ok());  // leaves a zero-filled gap
  EXPECT_EQ(*file->size(), 9u);
  Result<Bytes> all = run_now(file->read(0, 100));  // short read at end of file
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (Bytes{'h', 'e', 'l', 'l', 'o', 0, 0, 0, '!'}));
  EXPECT_EQ(*run_now(file->read(1, 3)), to_bytes("ell"));
  EXPECT_TRUE(run_now(file->read(9, 10))->empty());   // at the end
  EXPECT_TRUE(run_now(file->read(100, 10))->empty());  // past it
  EXPECT_TRUE(run_now(file->read(0, 0))->empty());

  Result<uint64_t> at = run_now(file->append(to_bytes("++")));
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, 9u);
  EXPECT_EQ(*file->size(), 11u);
  EXPECT_EQ(*run_now(file->read(9, 2)), to_bytes("++"));

  ASSERT_TRUE(run_now(file->write(1, to_bytes("E"))).ok());  // overwrite in place
  EXPECT_EQ(*run_now(file->read(0, 2)), to_bytes("hE"));

  ASSERT_TRUE(run_now(file->truncate(3)).ok());
  EXPECT_EQ(*file->size(), 3u);
  EXPECT_EQ(*run_now(file->read(0, 10)), to_bytes("hEl"));
  ASSERT_TRUE(run_now(file->truncate(6)).ok());  // extends with zeros
  EXPECT_EQ(*run_now(file->read(0, 10)), (Bytes{'h', 'E', 'l', 0, 0, 0}));
  ASSERT_TRUE(run_now(file->sync()).ok());

  EXPECT_EQ(*run_now(disk_->file_size("data")), 6u);
  file.reset();
  EXPECT_EQ(read_file("data"), std::string("hEl\0\0\0", 6));  // survives closing and reopening
}

TEST_F(PosixDiskTest, OutOfRangeOffsetsAreInvalid) {
  auto file = open("f", OpenMode::kCreateExclusive);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(run_now(file->write(UINT64_MAX - 1, to_bytes("ab"))).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(run_now(file->truncate(UINT64_MAX)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(*file->size(), 0u);
}

TEST_F(PosixDiskTest, RenameReplacesAtomically) {
  write_file("a", "new");
  write_file("b", "old");
  ASSERT_TRUE(run_now(disk_->rename("a", "b")).ok());
  EXPECT_EQ(read_file("b"), "new");
  EXPECT_EQ(run_now(disk_->file_size("a")).code(), ErrorCode::kNotFound);
  // Into a directory that does not exist yet (created on demand, as open does).
  ASSERT_TRUE(run_now(disk_->rename("b", "dir/sub/b")).ok());
  EXPECT_EQ(read_file("dir/sub/b"), "new");
  EXPECT_EQ(run_now(disk_->rename("missing", "c")).code(), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/c"));
}

TEST_F(PosixDiskTest, Remove) {
  write_file("d/gone", "x");
  ASSERT_TRUE(run_now(disk_->remove("d/gone")).ok());
  EXPECT_EQ(run_now(disk_->file_size("d/gone")).code(), ErrorCode::kNotFound);
  EXPECT_EQ(run_now(disk_->remove("d/gone")).code(), ErrorCode::kNotFound);
  EXPECT_EQ(open_error("d/gone", OpenMode::kOpenExisting), ErrorCode::kNotFound);
}

TEST_F(PosixDiskTest, FileSize) {
  write_file("sized", "12345");
  EXPECT_EQ(*run_now(disk_->file_size("sized")), 5u);
  EXPECT_EQ(run_now(disk_->file_size("nothing")).code(), ErrorCode::kNotFound);
  write_file("dir/f", "");
  EXPECT_EQ(run_now(disk_->file_size("dir")).code(), ErrorCode::kNotFound);  // not a file
}

TEST_F(PosixDiskTest, ListIsRecursiveSortedAndFilteredByPrefix) {
  for (const char* path : {"b", "a/2", "a/10", "ab", "c/d/e", "a/sub/x"}) write_file(path, "x");
  std::filesystem::create_directories(root_ + "/empty/dir");  // directories are not listed
  EXPECT_EQ(list(""), (std::vector<std::string>{"a/10", "a/2", "a/sub/x", "ab", "b", "c/d/e"}));
  EXPECT_EQ(list("a"), (std::vector<std::string>{"a/10", "a/2", "a/sub/x", "ab"}));
  EXPECT_EQ(list("a/"), (std::vector<std::string>{"a/10", "a/2", "a/sub/x"}));
  EXPECT_EQ(list("a/s"), (std::vector<std::string>{"a/sub/x"}));
  EXPECT_EQ(list("c/d/"), (std::vector<std::string>{"c/d/e"}));
  EXPECT_TRUE(list("zzz").empty());
  EXPECT_TRUE(list("nodir/x").empty());
  EXPECT_TRUE(list("b/").empty());  // "b" is a file, not a directory
}

TEST_F(PosixDiskTest, PathsOutsideTheRootAreRejected) {
  for (const std::string& bad : std::vector<std::string>{"../x", "a/../../x", "a/..", "..", "/etc/passwd", "", "a//b",
                                "a/./b", "a/", std::string("a\0b", 3)}) {
    SCOPED_TRACE("path: " + bad);
    EXPECT_EQ(open_error(bad, OpenMode::kCreateIfMissing), ErrorCode::kInvalidArgument);
    EXPECT_EQ(run_now(disk_->remove(bad)).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(run_now(disk_->file_size(bad)).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(run_now(disk_->rename(bad, "ok")).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(run_now(disk_->rename("ok", bad)).code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(run_now(disk_->list("../")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(run_now(disk_->list("/etc/")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(run_now(disk_->list("a/../../")).code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/../x"));
  EXPECT_TRUE(check_relative_path("a..b/c.d").ok());  // dots inside a name are fine
}

TEST_F(PosixDiskTest, OtherErrorsAreIoWithTheSystemMessage) {
  write_file("dir/f", "x");
  Result<std::unique_ptr<env::File>> opened = run_now(disk_->open("dir", OpenMode::kOpenExisting));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), ErrorCode::kIo);
  EXPECT_NE(opened.error().message.find("Is a directory"), std::string::npos)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find("'dir'"), std::string::npos);
}

TEST_F(PosixDiskTest, ErrnoMapping) {
  EXPECT_EQ(error_from_errno(ENOSPC, "w").code, ErrorCode::kNoSpace);
  EXPECT_EQ(error_from_errno(EDQUOT, "w").code, ErrorCode::kNoSpace);
  EXPECT_EQ(error_from_errno(ENOENT, "w").code, ErrorCode::kNotFound);
  EXPECT_EQ(error_from_errno(EEXIST, "w").code, ErrorCode::kAlreadyExists);
  const Error eio = error_from_errno(EIO, "write 'f'");
  EXPECT_EQ(eio.code, ErrorCode::kIo);
  EXPECT_EQ(eio.message, "write 'f': Input/output error");
  EXPECT_EQ(error_from_errno(EACCES, "w").code, ErrorCode::kIo);
}

TEST_F(PosixDiskTest, TaskIsLazyAndOutlivesItsArguments) {
  Task<Result<std::unique_ptr<env::File>>> pending = [&] {
    const std::string temporary = "lazy/file";
    return disk_->open(temporary, OpenMode::kCreateExclusive);
  }();
  EXPECT_FALSE(std::filesystem::exists(root_ + "/lazy"));  // nothing ran yet
  Result<std::unique_ptr<env::File>> file = run_now(std::move(pending));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->path(), "lazy/file");
}

}  // namespace
}  // namespace orbit::real
