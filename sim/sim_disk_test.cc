#include "sim/sim_disk.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "history/canonical.h"
#include "history/history.h"
#include "runtime/env/manual_executor.h"
#include "runtime/env/random.h"
#include "runtime/env/task_scope.h"

namespace orbit::sim {
namespace {

using env::ManualExecutor;
using env::OpenMode;

// Runs a task to completion on the manual executor (time advances as needed), started from
// an executor callback as node code always is.
template <typename T>
T run(ManualExecutor& ex, Task<T> task, Duration max_time = 1h) {
  std::optional<T> out;
  TaskScope scope;
  auto body = [](Task<T> t, std::optional<T>& o) -> Task<void> {
    o.emplace(co_await std::move(t));
  }(std::move(task), out);
  ex.post([&scope, &body] { scope.spawn(std::move(body)); });
  const MonoTime deadline = ex.mono_now() + max_time;
  while (!out && ex.mono_now() < deadline) ex.advance(1ms);
  EXPECT_TRUE(out.has_value()) << "task did not finish";
  return std::move(*out);
}

// Starts a task in `scope` from an executor callback; its result lands in `out`.
template <typename T>
void start(ManualExecutor& ex, TaskScope& scope, Task<T> task, std::optional<T>& out) {
  auto body = [](Task<T> t, std::optional<T>& o) -> Task<void> {
    o.emplace(co_await std::move(t));
  }(std::move(task), out);
  auto holder = std::make_shared<Task<void>>(std::move(body));
  ex.post([&scope, holder] { scope.spawn(std::move(*holder)); });
}

// Keeps what a disk records, in a history of its own (time and node are not the disk's).
class TestRecorder final : public env::Recorder {
 public:
  history::Sym intern(std::string_view s) override { return history.intern(s); }
  void record(history::Payload event) override { history.append(0, 0, std::move(event)); }
  history::History history;
};

class SimDiskTest : public ::testing::Test {
 protected:
  std::unique_ptr<SimDisk> make_disk(uint64_t seed, const DiskConfig& config = {}) {
    auto disk = std::make_unique<SimDisk>(ex_, seed, &recorder_);
    EXPECT_TRUE(disk->configure(config).ok());
    return disk;
  }

  std::unique_ptr<env::File> open(SimDisk& disk, const std::string& path,
                                  OpenMode mode = OpenMode::kCreateIfMissing) {
    auto r = run(ex_, disk.open(path, mode));
    EXPECT_TRUE(r.ok()) << to_string(r.error());
    return r.ok() ? std::move(r).value() : nullptr;
  }

  void write(env::File& f, uint64_t offset, std::string_view s) {
    auto r = run(ex_, f.write(offset, to_bytes(s)));
    ASSERT_TRUE(r.ok()) << to_string(r.error());
  }

  void sync(env::File& f) {
    auto r = run(ex_, f.sync());
    ASSERT_TRUE(r.ok()) << to_string(r.error());
  }

  std::string read_all(env::File& f) {
    auto r = run(ex_, f.read(0, 1 << 20));
    EXPECT_TRUE(r.ok());
    return r.ok() ? to_string(*r) : "<error>";
  }

  size_t count_events(history::EventKind kind) const {
    size_t n = 0;
    for (const auto& e : recorder_.history.events()) n += e.kind() == kind;
    return n;
  }

  ManualExecutor ex_;
  TestRecorder recorder_;
};

std::string str(const std::optional<Bytes>& b) { return b ? to_string(*b) : "<missing>"; }

DiskConfig no_tear() {
  DiskConfig c;
  c.tear_last_write_on_crash = false;
  return c;
}

int bits_differing(const Bytes& a, const Bytes& b) {
  EXPECT_EQ(a.size(), b.size());
  int n = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    n += std::popcount(static_cast<uint8_t>(a[i] ^ b[i]));
  }
  return n;
}

TEST_F(SimDiskTest, UnsyncedWriteIsGoneAfterCrash) {
  auto disk = make_disk(1, no_tear());
  auto f = open(*disk, "log");
  write(*f, 0, "hello");
  EXPECT_EQ(str(disk->volatile_contents("log")), "hello");
  EXPECT_EQ(str(disk->durable_contents("log")), "");
  disk->crash();
  // The file itself is durable (metadata is), its unsynced contents are not.
  EXPECT_EQ(str(disk->durable_contents("log")), "");
  EXPECT_EQ(str(disk->volatile_contents("log")), "");
  EXPECT_EQ(disk->used_bytes(), 0u);
  auto g = open(*disk, "log", OpenMode::kOpenExisting);
  EXPECT_EQ(read_all(*g), "");
  EXPECT_EQ(count_events(history::EventKind::kDiskCrash), 1u);
  EXPECT_EQ(count_events(history::EventKind::kDiskTornWrite), 0u);
}

TEST_F(SimDiskTest, SyncedWriteSurvivesCrash) {
  auto disk = make_disk(1, no_tear());
  auto f = open(*disk, "log");
  write(*f, 0, "abc");
  sync(*f);
  write(*f, 0, "XYZW");
  EXPECT_EQ(str(disk->volatile_contents("log")), "XYZW");
  disk->crash();
  EXPECT_EQ(str(disk->durable_contents("log")), "abc");
  EXPECT_EQ(str(disk->volatile_contents("log")), "abc");
  EXPECT_EQ(disk->used_bytes(), 3u);
  auto g = open(*disk, "log", OpenMode::kOpenExisting);
  EXPECT_EQ(read_all(*g), "abc");
  EXPECT_EQ(disk->stats().syncs, 1u);
  EXPECT_EQ(disk->stats().writes, 2u);
}

TEST_F(SimDiskTest, TornLastWriteLeavesAPrefixAtopTheDurableImage) {
  const std::string base = "0123456789";
  std::string last;
  for (int i = 0; i < 40; ++i) last.push_back(static_cast<char>('a' + i % 26));
  int strict_prefixes = 0, empty = 0, complete = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    recorder_.history = history::History();
    auto disk = make_disk(seed);
    auto f = open(*disk, "log");
    write(*f, 0, base);
    sync(*f);
    write(*f, 20, "earlier unsynced write, never torn");  // superseded by the last write
    write(*f, 4, last);                                   // overlaps and extends
    disk->crash();
    const std::string got = str(disk->durable_contents("log"));
    EXPECT_EQ(str(disk->volatile_contents("log")), got);
    // Find the prefix length k that explains the result.
    std::optional<size_t> match;
    for (size_t k = 0; k <= last.size(); ++k) {
      std::string expect = base;
      if (k > 0) {
        if (expect.size() < 4 + k) expect.resize(4 + k, '\0');
        expect.replace(4, k, last.substr(0, k));
      }
      if (got == expect) {
        match = k;
        break;
      }
    }
    ASSERT_TRUE(match.has_value()) << "seed " << seed << ": not a prefix: " << got;
    if (*match == 0) {
      ++empty;
    } else if (*match == last.size()) {
      ++complete;
    } else {
      ++strict_prefixes;
    }
    ASSERT_EQ(count_events(history::EventKind::kDiskTornWrite), 1u);
    for (const auto& e : recorder_.history.events()) {
      const auto* torn = e.get<history::DiskTornWrite>();
      if (torn == nullptr) continue;
      EXPECT_EQ(recorder_.history.str(torn->path), "log");
      EXPECT_EQ(torn->offset, 4u);
      EXPECT_EQ(torn->length, last.size());
      EXPECT_EQ(torn->surviving_bytes, *match);
      EXPECT_EQ(torn->lost_bytes, last.size() - *match);
    }
    EXPECT_EQ(disk->stats().torn_writes, 1u);
    // What survived is on the medium: a second crash keeps it.
    disk->crash();
    EXPECT_EQ(str(disk->durable_contents("log")), got);
  }
  EXPECT_GT(strict_prefixes, 0);
  EXPECT_GT(empty + complete + strict_prefixes, 0);
}

TEST_F(SimDiskTest, SyncClearsThePendingWriteSoNothingIsTorn) {
  auto disk = make_disk(3);
  auto f = open(*disk, "log");
  write(*f, 0, "abc");
  sync(*f);
  disk->crash();
  EXPECT_EQ(count_events(history::EventKind::kDiskTornWrite), 0u);
  EXPECT_EQ(str(disk->durable_contents("log")), "abc");
}

TEST_F(SimDiskTest, StaleHandleAfterCrashReturnsIo) {
  auto disk = make_disk(1);
  auto f = open(*disk, "log");
  write(*f, 0, "abc");
  sync(*f);
  disk->crash();
  auto w = run(ex_, f->write(0, to_bytes("x")));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.code(), ErrorCode::kIo);
  EXPECT_NE(w.error().message.find("file handle from before a crash"), std::string::npos);
  EXPECT_EQ(run(ex_, f->append(to_bytes("x"))).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, f->read(0, 3)).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, f->sync()).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, f->truncate(0)).code(), ErrorCode::kIo);
  EXPECT_EQ(f->size().code(), ErrorCode::kIo);
  EXPECT_EQ(f->path(), "log");
  EXPECT_EQ(str(disk->durable_contents("log")), "abc");
  // A handle opened after the crash works.
  auto g = open(*disk, "log");
  EXPECT_EQ(read_all(*g), "abc");
  EXPECT_EQ(*g->size(), 3u);
}

TEST_F(SimDiskTest, OperationSuspendedAcrossACrashFailsWithoutTakingEffect) {
  DiskConfig c = no_tear();
  c.latency_min = c.latency_max = 10ms;
  auto disk = make_disk(1, c);
  auto f = open(*disk, "log");
  TaskScope scope;
  std::optional<Result<void>> write_result;
  std::optional<Result<std::unique_ptr<env::File>>> open_result;
  start(ex_, scope, f->write(0, to_bytes("late")), write_result);
  start(ex_, scope, disk->open("other", OpenMode::kCreateIfMissing), open_result);
  ex_.advance(5ms);
  EXPECT_FALSE(write_result.has_value());
  disk->crash();
  ex_.advance(10ms);
  ASSERT_TRUE(write_result.has_value());
  EXPECT_EQ(write_result->code(), ErrorCode::kIo);
  ASSERT_TRUE(open_result.has_value());
  EXPECT_EQ(open_result->code(), ErrorCode::kIo);
  EXPECT_EQ(str(disk->volatile_contents("log")), "");
  EXPECT_FALSE(disk->volatile_contents("other").has_value());
  EXPECT_EQ(disk->stats().writes, 0u);
}

TEST_F(SimDiskTest, DestroyingASuspendedOperationCancelsItsTimer) {
  DiskConfig c;
  c.latency_min = c.latency_max = 10ms;
  auto disk = make_disk(1, c);
  auto f = open(*disk, "log");
  {
    TaskScope scope;
    std::optional<Result<void>> result;
    start(ex_, scope, f->write(0, to_bytes("never")), result);
    ex_.advance(1ms);
    EXPECT_EQ(ex_.pending(), 1u);
    // The node dies: its file handle, its disk object and then its coroutines.
    f.reset();
    disk.reset();
  }
  EXPECT_EQ(ex_.pending(), 0u);
  ex_.advance(1s);
}

TEST_F(SimDiskTest, OperationsOutlivingTheDiskFailWithIo) {
  DiskConfig c;
  c.latency_min = c.latency_max = 10ms;
  auto disk = make_disk(1, c);
  auto f = open(*disk, "log");
  TaskScope scope;
  std::optional<Result<void>> result;
  start(ex_, scope, f->write(0, to_bytes("late")), result);
  ex_.advance(1ms);
  const size_t events_before = recorder_.history.size();
  disk.reset();
  ex_.advance(20ms);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->code(), ErrorCode::kIo);
  EXPECT_EQ(result->error().message, "disk is gone");
  EXPECT_EQ(run(ex_, f->read(0, 1)).code(), ErrorCode::kIo);
  EXPECT_EQ(f->size().code(), ErrorCode::kIo);
  EXPECT_EQ(recorder_.history.size(), events_before);
}

TEST_F(SimDiskTest, NoSpaceSurfacesAsAnErrorAndWritesNothing) {
  DiskConfig c;
  c.capacity_bytes = 10;
  auto disk = make_disk(1, c);
  auto f = open(*disk, "a");
  write(*f, 0, "12345678");
  EXPECT_EQ(disk->used_bytes(), 8u);

  auto w = run(ex_, f->write(8, to_bytes("abcde")));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.code(), ErrorCode::kNoSpace);
  EXPECT_EQ(str(disk->volatile_contents("a")), "12345678");
  EXPECT_EQ(disk->used_bytes(), 8u);

  auto g = open(*disk, "b");
  EXPECT_EQ(run(ex_, g->append(to_bytes("xyz"))).code(), ErrorCode::kNoSpace);
  EXPECT_EQ(run(ex_, g->truncate(3)).code(), ErrorCode::kNoSpace);
  EXPECT_EQ(str(disk->volatile_contents("b")), "");
  // Overwriting in place needs no space; filling the last bytes exactly fits.
  write(*f, 0, "ABCDEFGH");
  EXPECT_EQ(*run(ex_, g->append(to_bytes("xy"))), 0u);
  EXPECT_EQ(disk->used_bytes(), 10u);
  EXPECT_EQ(run(ex_, g->append(to_bytes("z"))).code(), ErrorCode::kNoSpace);
  EXPECT_EQ(disk->stats().enospc, 4u);
  EXPECT_EQ(count_events(history::EventKind::kDiskFull), 1u) << "one record per episode";

  // Freeing space ends the episode; the next failure is recorded again.
  EXPECT_TRUE(run(ex_, f->truncate(4)).ok());
  EXPECT_EQ(disk->used_bytes(), 6u);
  EXPECT_EQ(run(ex_, f->write(0, to_bytes("0123456789"))).code(), ErrorCode::kNoSpace);
  EXPECT_EQ(count_events(history::EventKind::kDiskFull), 2u);
  EXPECT_TRUE(run(ex_, disk->remove("b")).ok());
  EXPECT_EQ(disk->used_bytes(), 4u);
}

TEST_F(SimDiskTest, EioWithProbabilityOneFailsEveryOperationAndChangesNothing) {
  auto disk = make_disk(1);
  auto f = open(*disk, "a");
  write(*f, 0, "abc");
  sync(*f);
  write(*f, 3, "def");
  DiskConfig c;
  c.eio_probability = 1.0;
  ASSERT_TRUE(disk->configure(c).ok());
  const auto stats_before = disk->stats();

  EXPECT_EQ(run(ex_, f->write(0, to_bytes("X"))).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, f->append(to_bytes("X"))).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, f->read(0, 3)).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, f->sync()).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, f->truncate(0)).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, disk->open("a", OpenMode::kOpenExisting)).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, disk->open("new", OpenMode::kCreateIfMissing)).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, disk->rename("a", "b")).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, disk->remove("a")).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, disk->list("")).code(), ErrorCode::kIo);
  EXPECT_EQ(run(ex_, disk->file_size("a")).code(), ErrorCode::kIo);

  EXPECT_EQ(str(disk->durable_contents("a")), "abc");
  EXPECT_EQ(str(disk->volatile_contents("a")), "abcdef");
  EXPECT_FALSE(disk->volatile_contents("new").has_value());
  EXPECT_FALSE(disk->volatile_contents("b").has_value());
  EXPECT_EQ(disk->stats().eio_injected, stats_before.eio_injected + 11);
  EXPECT_EQ(disk->stats().writes, stats_before.writes);
  EXPECT_EQ(disk->stats().syncs, stats_before.syncs);
  EXPECT_EQ(count_events(history::EventKind::kDiskEio), 11u);
}

TEST_F(SimDiskTest, ReadCorruptionFlipsExactlyOneBitOfTheReturnedBytes) {
  auto disk = make_disk(5);
  auto f = open(*disk, "a");
  Bytes data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<uint8_t>(i * 37));
  ASSERT_TRUE(run(ex_, f->write(0, data)).ok());
  sync(*f);
  DiskConfig c;
  c.read_corruption_probability = 1.0;
  ASSERT_TRUE(disk->configure(c).ok());
  for (int i = 0; i < 20; ++i) {
    auto r = run(ex_, f->read(0, 1000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(bits_differing(*r, data), 1);
  }
  EXPECT_EQ(*disk->durable_contents("a"), data);
  EXPECT_EQ(*disk->volatile_contents("a"), data);
  EXPECT_EQ(disk->stats().read_corruptions, 20u);
  EXPECT_EQ(count_events(history::EventKind::kDiskReadCorruption), 20u);

  // With p = 0.5 some reads are clean and some are not.
  c.read_corruption_probability = 0.5;
  ASSERT_TRUE(disk->configure(c).ok());
  int clean = 0, corrupt = 0;
  for (int i = 0; i < 64; ++i) {
    auto r = run(ex_, f->read(10, 5));
    ASSERT_TRUE(r.ok());
    const Bytes expect(data.begin() + 10, data.begin() + 15);
    const int d = bits_differing(*r, expect);
    ASSERT_LE(d, 1);
    (d == 0 ? clean : corrupt)++;
  }
  EXPECT_GT(clean, 0);
  EXPECT_GT(corrupt, 0);
}

TEST_F(SimDiskTest, FlipBitAtRestChangesExactlyThatBitDurably) {
  auto disk = make_disk(1, no_tear());
  EXPECT_EQ(disk->flip_random_bit_at_rest().code(), ErrorCode::kNotFound);
  auto f = open(*disk, "a");
  EXPECT_EQ(disk->flip_random_bit_at_rest().code(), ErrorCode::kNotFound) << "empty files only";
  const Bytes zeros(4, 0);
  ASSERT_TRUE(run(ex_, f->write(0, zeros)).ok());
  sync(*f);
  ASSERT_TRUE(disk->flip_bit_at_rest("a", 10).ok());
  const Bytes expect{0, 0x04, 0, 0};
  EXPECT_EQ(*disk->durable_contents("a"), expect);
  EXPECT_EQ(*disk->volatile_contents("a"), expect);
  auto r = run(ex_, f->read(0, 4));
  EXPECT_EQ(*r, expect);
  disk->crash();
  EXPECT_EQ(*disk->durable_contents("a"), expect) << "rot at rest is durable";

  EXPECT_EQ(disk->flip_bit_at_rest("missing", 0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(disk->flip_bit_at_rest("a", 32).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(count_events(history::EventKind::kDiskBitFlip), 1u);

  auto g = open(*disk, "b");  // empty: never chosen
  auto flipped = disk->flip_random_bit_at_rest();
  ASSERT_TRUE(flipped.ok());
  EXPECT_EQ(flipped->first, "a");
  EXPECT_LT(flipped->second, 32u);
  EXPECT_EQ(bits_differing(*disk->durable_contents("a"), expect), 1);
  Bytes twice = expect;
  twice[flipped->second / 8] ^= static_cast<uint8_t>(1u << (flipped->second % 8));
  EXPECT_EQ(*disk->durable_contents("a"), twice);
}

TEST_F(SimDiskTest, OperationsCompleteAfterTheConfiguredLatency) {
  DiskConfig c;
  c.latency_min = c.latency_max = 5ms;
  auto disk = make_disk(1, c);
  TaskScope scope;
  std::optional<Result<std::unique_ptr<env::File>>> opened;
  start(ex_, scope, disk->open("a", OpenMode::kCreateIfMissing), opened);
  ex_.advance(4ms);
  EXPECT_FALSE(opened.has_value());
  ex_.advance(1ms);
  ASSERT_TRUE(opened.has_value());
  ASSERT_TRUE(opened->ok());
  auto f = std::move(*opened).value();

  // A range: every operation takes between min and max, and not always the same.
  c.latency_min = 1ms;
  c.latency_max = 3ms;
  ASSERT_TRUE(disk->configure(c).ok());
  auto timed = [](ManualExecutor& ex, env::File& file) -> Task<Duration> {
    const MonoTime before = ex.mono_now();
    auto r = co_await file.append(to_bytes("x"));
    EXPECT_TRUE(r.ok());
    co_return ex.mono_now() - before;
  };
  std::vector<Duration> seen;
  for (int i = 0; i < 50; ++i) {
    const Duration d = run(ex_, timed(ex_, *f));
    EXPECT_GE(d, 1ms);
    EXPECT_LE(d, 3ms);
    seen.push_back(d);
  }
  EXPECT_NE(*std::min_element(seen.begin(), seen.end()),
            *std::max_element(seen.begin(), seen.end()));
}

TEST_F(SimDiskTest, ZeroLatencyCompletesSynchronously) {
  auto disk = make_disk(1);
  std::optional<Result<std::unique_ptr<env::File>>> opened;
  std::optional<Result<void>> written;
  TaskScope scope;
  auto body = [](SimDisk& d, std::optional<Result<std::unique_ptr<env::File>>>& o,
                 std::optional<Result<void>>& w) -> Task<void> {
    o.emplace(co_await d.open("a", OpenMode::kCreateIfMissing));
    w.emplace(co_await (*o)->get()->write(0, to_bytes("abc")));
  };
  scope.spawn(body(*disk, opened, written));  // no executor callback runs at all
  ASSERT_TRUE(written.has_value());
  EXPECT_TRUE(written->ok());
  EXPECT_EQ(ex_.pending(), 0u);
  EXPECT_EQ(str(disk->volatile_contents("a")), "abc");
}

TEST_F(SimDiskTest, OpenModes) {
  auto disk = make_disk(1);
  EXPECT_EQ(run(ex_, disk->open("a", OpenMode::kOpenExisting)).code(), ErrorCode::kNotFound);
  EXPECT_FALSE(disk->volatile_contents("a").has_value());
  auto f = open(*disk, "a", OpenMode::kCreateExclusive);
  write(*f, 0, "abc");
  EXPECT_EQ(run(ex_, disk->open("a", OpenMode::kCreateExclusive)).code(),
            ErrorCode::kAlreadyExists);
  auto g = open(*disk, "a", OpenMode::kCreateIfMissing);
  EXPECT_EQ(read_all(*g), "abc") << "opening an existing file keeps its contents";
  auto h = open(*disk, "a", OpenMode::kOpenExisting);
  EXPECT_EQ(read_all(*h), "abc");
  auto i = open(*disk, "b", OpenMode::kCreateIfMissing);
  EXPECT_EQ(*i->size(), 0u);
  EXPECT_EQ(run(ex_, disk->open("", OpenMode::kCreateIfMissing)).code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(SimDiskTest, WritesReadsAndTruncates) {
  auto disk = make_disk(1);
  auto f = open(*disk, "a");
  write(*f, 2, "cd");  // extends with zeros
  EXPECT_EQ(str(disk->volatile_contents("a")), std::string("\0\0cd", 4));
  EXPECT_EQ(*run(ex_, f->append(to_bytes("ef"))), 4u);
  EXPECT_EQ(to_string(*run(ex_, f->read(3, 2))), "de");
  EXPECT_EQ(to_string(*run(ex_, f->read(5, 100))), "f");
  EXPECT_TRUE(run(ex_, f->read(6, 10))->empty());
  EXPECT_TRUE(run(ex_, f->read(100, 10))->empty());
  EXPECT_TRUE(run(ex_, f->write(0, Bytes{})).ok());
  EXPECT_EQ(*f->size(), 6u);
  EXPECT_EQ(run(ex_, f->write(UINT64_MAX, to_bytes("xy"))).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(run(ex_, f->truncate(3)).ok());
  EXPECT_EQ(str(disk->volatile_contents("a")), std::string("\0\0c", 3));
  EXPECT_TRUE(run(ex_, f->truncate(5)).ok());
  EXPECT_EQ(str(disk->volatile_contents("a")), std::string("\0\0c\0\0", 5));
  EXPECT_EQ(disk->used_bytes(), 5u);
  EXPECT_EQ(str(disk->durable_contents("a")), "") << "nothing durable before sync";
}

TEST_F(SimDiskTest, RenameRemoveListAndFileSize) {
  auto disk = make_disk(1, no_tear());
  auto a1 = open(*disk, "a/1");
  auto a2 = open(*disk, "a/2");
  auto b1 = open(*disk, "b/1");
  write(*a1, 0, "one");
  sync(*a1);
  write(*a2, 0, "two!");
  write(*b1, 0, "b");
  EXPECT_EQ(*run(ex_, disk->list("a/")), (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_EQ(*run(ex_, disk->list("")), (std::vector<std::string>{"a/1", "a/2", "b/1"}));
  EXPECT_TRUE(run(ex_, disk->list("c"))->empty());
  EXPECT_EQ(*run(ex_, disk->file_size("a/2")), 4u);
  EXPECT_EQ(run(ex_, disk->file_size("zz")).code(), ErrorCode::kNotFound);
  EXPECT_EQ(disk->used_bytes(), 8u);

  // The handle follows its file across a rename.
  ASSERT_TRUE(run(ex_, disk->rename("a/1", "c")).ok());
  EXPECT_EQ(a1->path(), "c");
  write(*a1, 3, "+");
  EXPECT_EQ(str(disk->volatile_contents("c")), "one+");
  EXPECT_FALSE(disk->volatile_contents("a/1").has_value());
  EXPECT_EQ(run(ex_, disk->rename("a/1", "d")).code(), ErrorCode::kNotFound);

  // Renaming onto an existing file replaces it; the replaced file's handles are dead.
  ASSERT_TRUE(run(ex_, disk->rename("c", "a/2")).ok());
  EXPECT_EQ(str(disk->volatile_contents("a/2")), "one+");
  EXPECT_EQ(run(ex_, a2->read(0, 10)).code(), ErrorCode::kIo);
  EXPECT_EQ(a2->size().code(), ErrorCode::kIo);
  EXPECT_EQ(*run(ex_, disk->list("")), (std::vector<std::string>{"a/2", "b/1"}));
  EXPECT_EQ(disk->used_bytes(), 5u);
  EXPECT_TRUE(run(ex_, disk->rename("b/1", "b/1")).ok());

  // Removal.
  ASSERT_TRUE(run(ex_, disk->remove("b/1")).ok());
  EXPECT_EQ(run(ex_, disk->remove("b/1")).code(), ErrorCode::kNotFound);
  auto w = run(ex_, b1->write(0, to_bytes("x")));
  EXPECT_EQ(w.code(), ErrorCode::kIo);
  EXPECT_NE(w.error().message.find("removed"), std::string::npos);
  EXPECT_EQ(disk->used_bytes(), 4u);

  // Metadata is durable at once: after a crash the renamed file holds its synced contents.
  disk->crash();
  EXPECT_EQ(*run(ex_, disk->list("")), (std::vector<std::string>{"a/2"}));
  EXPECT_EQ(str(disk->durable_contents("a/2")), "one");
  EXPECT_EQ(disk->used_bytes(), 3u);
}

TEST_F(SimDiskTest, ConfigValidationNamesTheField) {
  auto expect_error = [](const DiskConfig& c, const std::string& fragment) {
    auto r = c.validate();
    ASSERT_FALSE(r.ok()) << fragment;
    EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
  };
  EXPECT_TRUE(DiskConfig{}.validate().ok());
  DiskConfig c;
  c.latency_min = -1ns;
  expect_error(c, "disk.latency_min");
  c = {};
  c.latency_max = -1ns;
  expect_error(c, "disk.latency_max");
  c = {};
  c.latency_min = 5ms;
  c.latency_max = 1ms;
  expect_error(c, "disk.latency_max must be >= disk.latency_min");
  c = {};
  c.capacity_bytes = 0;
  expect_error(c, "disk.capacity_bytes");
  c = {};
  c.eio_probability = 1.5;
  auto r = c.validate();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "disk.eio_probability must be in [0, 1], got 1.5");
  c.eio_probability = -0.1;
  expect_error(c, "disk.eio_probability");
  c.eio_probability = std::nan("");
  expect_error(c, "disk.eio_probability");
  c = {};
  c.read_corruption_probability = 2;
  expect_error(c, "disk.read_corruption_probability");
  c.read_corruption_probability = std::nan("");
  expect_error(c, "disk.read_corruption_probability");

  // A rejected configuration leaves the current one in force.
  auto disk = make_disk(1);
  DiskConfig good;
  good.capacity_bytes = 123;
  ASSERT_TRUE(disk->configure(good).ok());
  DiskConfig bad = good;
  bad.eio_probability = 7;
  EXPECT_FALSE(disk->configure(bad).ok());
  EXPECT_EQ(disk->config().capacity_bytes, 123u);
  EXPECT_EQ(disk->config().eio_probability, 0.0);
}

// One line of a workload trace: when, what, and the outcome (with its detail when ok).
template <typename R>
std::string outcome(const ManualExecutor& ex, const std::string& what, const R& r,
                    const std::string& detail_if_ok = "") {
  return std::to_string(to_nanos(ex.mono_now())) + " " + what + " " +
         (r.ok() ? "ok " + detail_if_ok : to_string(r.error()));
}

// A fixed workload over every fault; its trace must depend only on the seeds.
Task<bool> workload(ManualExecutor& ex, SimDisk& disk, uint64_t workload_seed,
                    std::vector<std::string>& trace) {
  env::Random choose(workload_seed);
  std::vector<std::unique_ptr<env::File>> files;
  for (int i = 0; i < 300; ++i) {
    const std::string path = "f" + std::to_string(choose.below(4));
    switch (choose.below(8)) {
      case 0: {
        auto r = co_await disk.open(path, OpenMode::kCreateIfMissing);
        trace.push_back(outcome(ex, "open " + path, r));
        if (r.ok()) files.push_back(std::move(r).value());
        break;
      }
      case 1:
      case 2: {
        if (files.empty()) break;
        auto& f = *files[choose.below(files.size())];
        Bytes data(choose.below(20) + 1, static_cast<uint8_t>(i));
        auto r = co_await f.append(std::move(data));
        trace.push_back(outcome(ex, "append " + f.path(), r, r.ok() ? std::to_string(*r) : ""));
        break;
      }
      case 3: {
        if (files.empty()) break;
        auto& f = *files[choose.below(files.size())];
        auto r = co_await f.read(choose.below(30), 10);
        trace.push_back(
            outcome(ex, "read " + f.path(), r, r.ok() ? nlohmann::json(*r).dump() : ""));
        break;
      }
      case 4: {
        if (files.empty()) break;
        auto& f = *files[choose.below(files.size())];
        auto r = co_await f.sync();
        trace.push_back(outcome(ex, "sync " + f.path(), r));
        break;
      }
      case 5: {
        auto r = co_await disk.rename(path, "f" + std::to_string(choose.below(4)));
        trace.push_back(outcome(ex, "rename " + path, r));
        break;
      }
      case 6: {
        if (choose.below(4) == 0) {
          disk.crash();
          files.clear();
          trace.push_back("crash");
        } else {
          auto r = disk.flip_random_bit_at_rest();
          trace.push_back(
              outcome(ex, "flip", r, r.ok() ? r->first + ":" + std::to_string(r->second) : ""));
        }
        break;
      }
      case 7: {
        auto r = co_await disk.list("");
        trace.push_back(outcome(ex, "list", r, r.ok() ? nlohmann::json(*r).dump() : ""));
        break;
      }
    }
  }
  co_return true;
}

std::vector<std::string> run_workload(uint64_t disk_seed) {
  ManualExecutor ex;
  std::vector<std::string> trace;
  DiskConfig c;
  c.latency_min = 1ms;
  c.latency_max = 7ms;
  c.capacity_bytes = 100;
  c.eio_probability = 0.05;
  c.read_corruption_probability = 0.2;
  TestRecorder recorder;
  SimDisk disk(ex, disk_seed, &recorder);
  EXPECT_TRUE(disk.configure(c).ok());
  EXPECT_TRUE(run(ex, workload(ex, disk, 99, trace), 24h));
  // The recorded faults belong to the trace too: their canonical bytes depend on content only.
  for (const history::Event& e : recorder.history.events()) {
    std::string bytes;
    history::encode_canonical(recorder.history, e, bytes);
    trace.push_back(std::string(history::kind_name(e.kind())) + " " + bytes);
  }
  const auto& s = disk.stats();
  // The workload must exercise every fault, or the comparison proves little.
  EXPECT_GT(s.reads, 0u);
  EXPECT_GT(s.writes, 0u);
  EXPECT_GT(s.syncs, 0u);
  EXPECT_GT(s.eio_injected, 0u);
  EXPECT_GT(s.enospc, 0u);
  EXPECT_GT(s.read_corruptions, 0u);
  EXPECT_GT(s.torn_writes, 0u);
  trace.push_back(nlohmann::json({s.reads, s.writes, s.syncs, s.eio_injected, s.enospc,
                                  s.read_corruptions, s.torn_writes})
                      .dump());
  return trace;
}

TEST(SimDiskDeterminismTest, SameSeedSameOperationsSameResults) {
  const auto a = run_workload(7);
  const auto b = run_workload(7);
  EXPECT_EQ(a, b);
  EXPECT_GT(a.size(), 300u);
  EXPECT_NE(a, run_workload(8)) << "the seed must matter";
}

}  // namespace
}  // namespace orbit::sim

namespace orbit::sim {
namespace {

// Sync copies only the changed range; these pin that the durable image still equals the
// volatile one after every kind of change.
TEST(SimDiskIncrementalSyncTest, ShrinkThenGrowThenSyncLeavesZerosDurable) {
  env::ManualExecutor ex;
  SimDisk disk(ex, 1, nullptr);
  std::unique_ptr<env::File> file;
  TaskScope scope;
  ex.post([&] {
    scope.spawn([](SimDisk& d, std::unique_ptr<env::File>& f) -> Task<void> {
      auto opened = co_await d.open("f", env::OpenMode::kCreateIfMissing);
      f = std::move(*opened);
      EXPECT_TRUE((co_await f->append(Bytes(100, 'x'))).ok());
      EXPECT_TRUE((co_await f->sync()).ok());
      EXPECT_TRUE((co_await f->truncate(10)).ok());
      EXPECT_TRUE((co_await f->truncate(100)).ok());
      EXPECT_TRUE((co_await f->write(50, Bytes(5, 'y'))).ok());
      EXPECT_TRUE((co_await f->sync()).ok());
    }(disk, file));
  });
  ex.advance(1s);
  ASSERT_TRUE(file != nullptr);
  EXPECT_EQ(disk.durable_contents("f"), disk.volatile_contents("f"));
  Bytes expected(100, 0);
  std::fill(expected.begin(), expected.begin() + 10, 'x');
  std::fill(expected.begin() + 50, expected.begin() + 55, 'y');
  EXPECT_EQ(*disk.durable_contents("f"), expected);
  disk.crash();
  EXPECT_EQ(*disk.volatile_contents("f"), expected);
}

}  // namespace
}  // namespace orbit::sim
