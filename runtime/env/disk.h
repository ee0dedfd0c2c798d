// env::Disk: files with explicit durability. The fault model every implementation must
// honour (and the simulator enforces): written data is volatile until File::sync()
// returns ok; a crash keeps only synced data and may tear the last unsynced write.
// Metadata operations (create, rename, remove) are durable when they return ok: the real
// implementation fsyncs the directory, the simulator applies them to its durable image.
// Every operation returns an error value; none throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"

namespace orbit::env {

// An open file. Operations on one File are issued by one coroutine at a time.
class File {
 public:
  virtual ~File() = default;

  // Writes `data` at `offset`, extending the file (with zeros) if needed. Ok means the
  // page cache has it, not the disk: call sync(). Errors: kNoSpace (disk full; nothing
  // was written), kIo, kInvalidArgument (offset + size beyond the largest file size).
  virtual Task<Result<void>> write(uint64_t offset, Bytes data) = 0;

  // Appends `data` at the end; returns the offset it was written at. Same errors as write.
  virtual Task<Result<uint64_t>> append(Bytes data) = 0;

  // Reads up to `length` bytes at `offset`; fewer at end of file, none past it. What a
  // read returns may itself be corrupt (bit rot): callers verify checksums. Errors: kIo.
  virtual Task<Result<Bytes>> read(uint64_t offset, uint64_t length) = 0;

  // Makes everything written so far durable. Errors: kIo (the data may or may not be
  // durable: treat it as not).
  virtual Task<Result<void>> sync() = 0;

  // Current size, including unsynced writes.
  virtual Result<uint64_t> size() const = 0;

  // Truncates (or extends with zeros) to `length`. Durable only after sync().
  virtual Task<Result<void>> truncate(uint64_t length) = 0;

  virtual const std::string& path() const = 0;
};

enum class OpenMode {
  kOpenExisting,    // kNotFound if it does not exist
  kCreateIfMissing, // open, creating an empty file if needed
  kCreateExclusive, // create; kAlreadyExists if it exists
};

// Paths are taken by value: these are lazy coroutines, and a reference to a temporary
// would dangle by the time the task first runs.
class Disk {
 public:
  virtual ~Disk() = default;

  // Opens a file. Paths are '/'-separated names relative to the disk's root; directories
  // are implicit in the simulator and created on demand in real mode.
  virtual Task<Result<std::unique_ptr<File>>> open(std::string path, OpenMode mode) = 0;

  // Atomically replaces `to` with `from`, creating `to`'s parent directories if needed.
  // Errors: kNotFound, kIo.
  virtual Task<Result<void>> rename(std::string from, std::string to) = 0;

  // Removes a file. Errors: kNotFound, kIo.
  virtual Task<Result<void>> remove(std::string path) = 0;

  // Paths of the files whose path starts with `prefix`, sorted.
  virtual Task<Result<std::vector<std::string>>> list(std::string prefix) = 0;

  // Size of the file at `path`. Errors: kNotFound (also for a directory).
  virtual Task<Result<uint64_t>> file_size(std::string path) = 0;
};

}  // namespace orbit::env
