// SimDisk: the simulator's env::Disk for one node. It keeps, per file, what was synced (the
// durable image) apart from what was only written (the volatile image, i.e. the page cache),
// and injects the faults real disks have:
//   - crash(): power loss or process crash; every volatile image falls back to its durable
//     image, and the last unsynced write of a file may survive as a random prefix (torn);
//   - EIO: any operation may fail with kIo, changing nothing;
//   - bit rot on read (the returned bytes are corrupt, the stored ones are not) and at rest
//     (the stored bytes are corrupt);
//   - a full disk: writes that would grow the contents beyond the capacity fail with kNoSpace;
//   - latency: each operation completes after a uniform delay on the node's executor.
//
// Determinism: every decision comes from the disk's own env::Random (seeded by the caller, so
// fault draws never perturb any other stream) and from the order of the executor's callbacks;
// files live in a sorted map. There are no clocks, threads or address-dependent choices.
//
// Semantics the runtime can rely on (and the tests check):
//   - Metadata operations (create, rename, remove) are durable when they return ok: a file
//     exists after a crash with its durable contents (possibly empty).
//   - A File handle follows its file across renames. Once its file is removed (or replaced by
//     a rename onto its path), every operation on the handle fails with kIo ("file was
//     removed"); unlike POSIX there is no orphaned inode to keep using.
//   - Every handle opened before a crash() is stale: its operations fail with kIo ("file
//     handle from before a crash"). An operation suspended in its latency delay across a
//     crash() fails with kIo when it resumes, without taking effect.
//   - A handle or an operation may outlive the SimDisk (a node's objects die in any order):
//     operations then fail with kIo ("disk is gone"). A suspended operation whose coroutine is
//     destroyed cancels its timer and never resumes.
//   - File::size() is a cached metadata read: it injects no faults and takes no time (it
//     still fails with kIo on a stale or removed handle).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/env/bytes.h"
#include "runtime/env/disk.h"
#include "runtime/env/executor.h"
#include "runtime/env/recorder.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/time.h"

namespace orbit::sim {

namespace detail {
struct SimDiskState;  // sim_disk.cc
}  // namespace detail

// The knobs of one node's disk. Adjustable at any time through SimDisk::configure().
struct DiskConfig {
  // Each Task-returning operation completes after a uniform delay in
  // [latency_min, latency_max]. With latency_max == 0 operations complete synchronously
  // (no timer at all), which keeps the simulator fast.
  Duration latency_min{0};
  Duration latency_max{0};
  // Total bytes of file contents (the sum of the volatile sizes). A write, append or
  // truncate that would grow the total beyond it fails with kNoSpace and changes nothing.
  uint64_t capacity_bytes = 1ull << 40;
  // Per operation: the operation fails with kIo and changes nothing.
  double eio_probability = 0.0;
  // Per read: the returned bytes have exactly one bit flipped; stored data is unchanged.
  double read_corruption_probability = 0.0;
  // On crash(), the last unsynced write of each file may survive as a random prefix
  // (possibly empty, possibly complete) on top of the durable image.
  bool tear_last_write_on_crash = true;

  // Ok, or kInvalidArgument with a message naming the field, e.g.
  // "disk.eio_probability must be in [0, 1], got 1.5". Errors: a negative latency,
  // latency_max < latency_min, a probability outside [0, 1] or NaN, a zero capacity.
  [[nodiscard]] Result<void> validate() const;
};

class SimDisk final : public env::Disk {
 public:
  // The disk records every fault it injects or suffers in the run's history, through the
  // env::Recorder given at construction:
  //   history::DiskCrash          (every crash)
  //   history::DiskTornWrite      (a crash kept a prefix of an unsynced write)
  //   history::DiskBitFlip        (rot at rest)
  //   history::DiskReadCorruption (rot on read)
  //   history::DiskEio            (an injected EIO)
  //   history::DiskFull           (kNoSpace)
  // DiskFull is recorded once per episode: at the first kNoSpace after the disk was
  // created, freed space (its used bytes went down) or was reconfigured; the kNoSpace
  // failures in between only count in Stats::enospc. Everything else is recorded per event.

  // Counters since construction.
  struct Stats {
    uint64_t reads = 0;             // reads that returned data (corrupt or not)
    uint64_t writes = 0;            // writes, appends and truncates that took effect
    uint64_t syncs = 0;             // syncs that took effect
    uint64_t eio_injected = 0;      // operations failed with an injected kIo
    uint64_t enospc = 0;            // operations failed with kNoSpace
    uint64_t read_corruptions = 0;  // reads whose returned bytes had a bit flipped
    uint64_t torn_writes = 0;       // unsynced last writes resolved by a crash (any prefix)
  };

  // `executor` is the owning node's executor: latency is a timer on it, and it must outlive
  // every operation of this disk. `seed` seeds the disk's own env::Random. `recorder` may be
  // null (nothing recorded); otherwise it must outlive the SimDisk (not its handles).
  SimDisk(env::Executor& executor, uint64_t seed, env::Recorder* recorder);
  ~SimDisk() override;
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  // Validates `config` and, when valid, applies it to every later operation (an operation
  // already waiting out its latency keeps its delay).
  [[nodiscard]] Result<void> configure(const DiskConfig& config);
  const DiskConfig& config() const;

  // env::Disk.
  Task<Result<std::unique_ptr<env::File>>> open(std::string path,
                                                env::OpenMode mode) override;
  Task<Result<void>> rename(std::string from, std::string to) override;
  Task<Result<void>> remove(std::string path) override;
  Task<Result<std::vector<std::string>>> list(std::string prefix) override;
  Task<Result<uint64_t>> file_size(std::string path) override;

  // Faults.

  // Power loss or process crash: every file's volatile image is reset to its durable image;
  // with tear_last_write_on_crash, each file's last unsynced write (if any since its last
  // sync) survives as a random prefix on top of it. Files themselves survive (metadata is
  // durable). Every File opened before, and every operation in flight, becomes stale.
  void crash();

  // Bit rot at rest: flips bit `bit` (bit 0 is the lowest bit of byte 0) of file `path` in
  // each of its durable and volatile images that is long enough to hold it. Errors:
  // kNotFound (no such file), kInvalidArgument (the bit is beyond both images).
  [[nodiscard]] Result<void> flip_bit_at_rest(const std::string& path, uint64_t bit);

  // Flips a random bit (below the larger of its two image sizes) of a random non-empty file,
  // chosen from the sorted paths. Returns the path and the bit. Errors: kNotFound (every
  // file is empty, or there are none).
  [[nodiscard]] Result<std::pair<std::string, uint64_t>> flip_random_bit_at_rest();

  // Inspection for tests and checkers (no faults, no time, no random draws).
  std::optional<Bytes> durable_contents(const std::string& path) const;
  std::optional<Bytes> volatile_contents(const std::string& path) const;
  uint64_t used_bytes() const;  // the sum of the volatile sizes
  const Stats& stats() const;

 private:
  // Shared with every handle and in-flight operation, so that either may outlive the disk.
  std::shared_ptr<detail::SimDiskState> state_;
};

}  // namespace orbit::sim
