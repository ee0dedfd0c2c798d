#include "sim/sim_disk.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "runtime/env/random.h"
#include "runtime/env/sleep.h"

namespace orbit::sim {

namespace detail {

// The last write since the file's last sync: what a crash may tear.
struct PendingWrite {
  uint64_t offset = 0;
  Bytes data;
};

// One file, shared by the path map and by every handle open on it, so that a handle follows
// its file across renames.
struct FileNode {
  explicit FileNode(std::string p) : path(std::move(p)) {}

  std::string path;
  Bytes durable_image;   // what survives a crash
  Bytes volatile_image;  // what reads see: the durable image plus every unsynced change
  // The byte range of volatile_image written since the last sync (empty: lo >= hi), so a
  // sync copies only what changed, not the whole file (a log file is synced per append).
  uint64_t dirty_lo = UINT64_MAX;
  uint64_t dirty_hi = 0;
  std::optional<PendingWrite> last_unsynced_write;

  void mark_dirty(uint64_t offset, uint64_t length) {
    dirty_lo = std::min(dirty_lo, offset);
    dirty_hi = std::max(dirty_hi, offset + length);
  }
  // Makes the durable image equal the volatile one.
  void sync_images() {
    durable_image.resize(volatile_image.size(), 0);
    const uint64_t hi = std::min<uint64_t>(dirty_hi, volatile_image.size());
    if (dirty_lo < hi) {
      std::copy(volatile_image.begin() + static_cast<ptrdiff_t>(dirty_lo),
                volatile_image.begin() + static_cast<ptrdiff_t>(hi), durable_image.begin() + static_cast<ptrdiff_t>(dirty_lo));
    }
    dirty_lo = UINT64_MAX;
    dirty_hi = 0;
  }
  bool removed = false;  // removed or replaced by a rename: its handles are dead
};

// Everything a SimDisk knows. Operations hold it by shared_ptr (not through the SimDisk)
// so that a suspended operation or a handle may outlive the disk; `gone` then fails them.
struct SimDiskState {
  SimDiskState(env::Executor& e, uint64_t seed, env::Recorder* r) : executor(e), random(seed), recorder(r) {}

  env::Executor& executor;
  env::Random random;
  env::Recorder* recorder;  // null: record nothing
  DiskConfig config;
  std::map<std::string, std::shared_ptr<FileNode>> files;
  uint64_t used_bytes = 0;     // the sum of the volatile sizes of the files in `files`
  uint64_t generation = 0;     // bumped by every crash; handles and operations carry theirs
  bool gone = false;           // the SimDisk was destroyed
  bool full_recorded = false;  // "disk_full" was recorded and no space was freed since
  SimDisk::Stats stats;

  // Records `make(recorder)`'s event; `make` interns its names, so nothing is interned
  // when there is no recorder.
  template <class MakeEvent>
  void record(MakeEvent&& make) {
    if (recorder != nullptr) recorder->record(make(*recorder));
  }

  // The delay of the next operation. Zero (meaning: no timer at all) without latency.
  Duration draw_latency() {
    if (config.latency_max <= Duration::zero()) return Duration::zero();
    if (config.latency_min == config.latency_max) return config.latency_max;
    return random.duration_between(config.latency_min, config.latency_max);
  }

  // Why an operation that began in `op_generation` may not take effect now.
  std::optional<Error> check_operation(uint64_t op_generation) const {
    if (gone) return make_error(ErrorCode::kIo, "disk is gone");
    if (op_generation != generation) {
      return make_error(ErrorCode::kIo, "operation from before a crash");
    }
    return std::nullopt;
  }

  // Why an operation on a handle of `node` opened in `handle_generation` may not run.
  std::optional<Error> check_handle(const FileNode& node, uint64_t handle_generation) const {
    if (gone) return make_error(ErrorCode::kIo, "disk is gone");
    if (handle_generation != generation) {
      return make_error(ErrorCode::kIo, "file handle from before a crash: " + node.path);
    }
    if (node.removed) return make_error(ErrorCode::kIo, "file was removed: " + node.path);
    return std::nullopt;
  }

  // The injected EIO of this operation, if the draw says so. Drawn before it takes effect.
  std::optional<Error> inject_eio(std::string_view op, const std::string& path) {
    if (!random.chance(config.eio_probability)) return std::nullopt;
    ++stats.eio_injected;
    record([&](env::Recorder& r) { return history::DiskEio{r.intern(op), r.intern(path)}; });
    return make_error(ErrorCode::kIo, "injected EIO: " + std::string(op) + " " + path);
  }

  // Fails with kNoSpace when resizing a volatile image from `old_size` to `new_size` would
  // take the disk beyond its capacity. Shrinking always fits.
  std::optional<Error> check_space(std::string_view op, const std::string& path, uint64_t old_size,
                                   uint64_t new_size) {
    if (new_size <= old_size) return std::nullopt;
    const uint64_t growth = new_size - old_size;
    const uint64_t free_bytes =
        used_bytes >= config.capacity_bytes ? 0 : config.capacity_bytes - used_bytes;
    if (growth <= free_bytes) return std::nullopt;
    ++stats.enospc;
    if (!full_recorded) {
      full_recorded = true;
      record([&](env::Recorder& r) {
        return history::DiskFull{r.intern(op), r.intern(path), growth, used_bytes, config.capacity_bytes};
      });
    }
    return make_error(ErrorCode::kNoSpace, "disk full: " + std::string(op) + " " + path +
                                               " needs " + std::to_string(growth) + " bytes, " +
                                               std::to_string(free_bytes) + " free");
  }

  // Accounts for a change of a volatile image's size.
  void on_resize(uint64_t old_size, uint64_t new_size) {
    if (new_size >= old_size) {
      used_bytes += new_size - old_size;
      return;
    }
    assert(used_bytes >= old_size - new_size);
    used_bytes -= old_size - new_size;
    full_recorded = false;
  }

  // Drops `node` from the path map (remove, or replaced by a rename).
  void unlink(FileNode& node) {
    node.removed = true;
    on_resize(node.volatile_image.size(), 0);
  }
};

}  // namespace detail

namespace {

using detail::FileNode;
using detail::PendingWrite;
using detail::SimDiskState;
using State = std::shared_ptr<SimDiskState>;
using Node = std::shared_ptr<FileNode>;

std::string format_duration(Duration d) { return std::to_string(d.count()) + "ns"; }

std::string format_double(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

Result<void> check_probability(std::string_view field, double p) {
  if (std::isnan(p) || p < 0.0 || p > 1.0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "disk." + std::string(field) + " must be in [0, 1], got " + format_double(p));
  }
  return {};
}

// Copies `data` into `image` at `offset`, extending it with zeros first if needed.
void apply_write(Bytes& image, uint64_t offset, const uint8_t* data, uint64_t length) {
  if (length == 0) return;
  if (image.size() < offset + length) image.resize(offset + length, 0);
  std::copy(data, data + length, image.begin() + static_cast<std::ptrdiff_t>(offset));
}

// Every operation below is a free coroutine that owns its state (shared_ptrs and copies of
// its arguments) in its frame: it never touches the File or SimDisk object that started it,
// which may be destroyed while it waits out its latency.

Task<Result<void>> write_op(State s, Node node, uint64_t generation, uint64_t offset, Bytes data) {
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("write", node->path)) co_return std::move(*e);
  if (data.size() > std::numeric_limits<uint64_t>::max() - offset) {
    co_return make_error(ErrorCode::kInvalidArgument, "write beyond the largest offset");
  }
  if (data.empty()) co_return Result<void>();  // nothing to write, nothing to extend
  const uint64_t old_size = node->volatile_image.size();
  const uint64_t new_size = std::max(old_size, offset + data.size());
  if (auto e = s->check_space("write", node->path, old_size, new_size)) co_return std::move(*e);
  apply_write(node->volatile_image, offset, data.data(), data.size());
  node->mark_dirty(offset, data.size());
  s->on_resize(old_size, new_size);
  node->last_unsynced_write = PendingWrite{offset, std::move(data)};
  ++s->stats.writes;
  co_return Result<void>();
}

Task<Result<uint64_t>> append_op(State s, Node node, uint64_t generation, Bytes data) {
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("append", node->path)) co_return std::move(*e);
  const uint64_t offset = node->volatile_image.size();
  if (data.empty()) co_return offset;
  const uint64_t new_size = offset + data.size();
  if (auto e = s->check_space("append", node->path, offset, new_size)) co_return std::move(*e);
  apply_write(node->volatile_image, offset, data.data(), data.size());
  node->mark_dirty(offset, data.size());
  s->on_resize(offset, new_size);
  node->last_unsynced_write = PendingWrite{offset, std::move(data)};
  ++s->stats.writes;
  co_return offset;
}

Task<Result<Bytes>> read_op(State s, Node node, uint64_t generation, uint64_t offset,
                            uint64_t length) {
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("read", node->path)) co_return std::move(*e);
  const Bytes& image = node->volatile_image;
  Bytes out;
  if (offset < image.size()) {
    const uint64_t n = std::min<uint64_t>(length, image.size() - offset);
    const auto begin = image.begin() + static_cast<std::ptrdiff_t>(offset);
    out.assign(begin, begin + static_cast<std::ptrdiff_t>(n));
  }
  ++s->stats.reads;
  if (!out.empty() && s->random.chance(s->config.read_corruption_probability)) {
    const uint64_t bit = s->random.below(out.size() * 8);
    out[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ++s->stats.read_corruptions;
    s->record([&](env::Recorder& r) {
      return history::DiskReadCorruption{r.intern(node->path), offset, out.size(), bit};
    });
  }
  co_return out;
}

Task<Result<void>> sync_op(State s, Node node, uint64_t generation) {
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("sync", node->path)) co_return std::move(*e);
  node->sync_images();
  node->last_unsynced_write.reset();
  ++s->stats.syncs;
  co_return Result<void>();
}

Task<Result<void>> truncate_op(State s, Node node, uint64_t generation, uint64_t length) {
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_handle(*node, generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("truncate", node->path)) co_return std::move(*e);
  const uint64_t old_size = node->volatile_image.size();
  if (auto e = s->check_space("truncate", node->path, old_size, length)) co_return std::move(*e);
  node->volatile_image.resize(length, 0);
  // Growing exposes zeros that the durable image may not have (it can hold older bytes
  // there from before a shrink): they are a change to sync like any other.
  if (length > old_size) node->mark_dirty(old_size, length - old_size);
  s->on_resize(old_size, length);
  // A truncate supersedes the last write: a crash loses it whole (the model tears only
  // writes), so there is nothing left to tear.
  node->last_unsynced_write.reset();
  ++s->stats.writes;
  co_return Result<void>();
}

class SimFile final : public env::File {
 public:
  SimFile(State state, Node node, uint64_t generation)
      : state_(std::move(state)), node_(std::move(node)), generation_(generation) {}

  Task<Result<void>> write(uint64_t offset, Bytes data) override {
    return write_op(state_, node_, generation_, offset, std::move(data));
  }
  Task<Result<uint64_t>> append(Bytes data) override {
    return append_op(state_, node_, generation_, std::move(data));
  }
  Task<Result<Bytes>> read(uint64_t offset, uint64_t length) override {
    return read_op(state_, node_, generation_, offset, length);
  }
  Task<Result<void>> sync() override { return sync_op(state_, node_, generation_); }
  Result<uint64_t> size() const override {
    if (auto e = state_->check_handle(*node_, generation_)) return std::move(*e);
    return static_cast<uint64_t>(node_->volatile_image.size());
  }
  Task<Result<void>> truncate(uint64_t length) override {
    return truncate_op(state_, node_, generation_, length);
  }
  const std::string& path() const override { return node_->path; }

 private:
  State state_;
  Node node_;
  uint64_t generation_;  // the disk's generation when this handle was opened
};

Task<Result<std::unique_ptr<env::File>>> open_op(State s, std::string path, env::OpenMode mode) {
  const uint64_t generation = s->generation;
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("open", path)) co_return std::move(*e);
  if (path.empty()) co_return make_error(ErrorCode::kInvalidArgument, "open: empty path");
  auto it = s->files.find(path);
  if (it == s->files.end()) {
    if (mode == env::OpenMode::kOpenExisting) {
      co_return make_error(ErrorCode::kNotFound, "open: no such file: " + path);
    }
    // Creating is a metadata operation: durable at once (with an empty durable image).
    it = s->files.emplace(path, std::make_shared<FileNode>(path)).first;
  } else if (mode == env::OpenMode::kCreateExclusive) {
    co_return make_error(ErrorCode::kAlreadyExists, "open: file exists: " + path);
  }
  std::unique_ptr<env::File> file = std::make_unique<SimFile>(s, it->second, generation);
  co_return std::move(file);
}

Task<Result<void>> rename_op(State s, std::string from, std::string to) {
  const uint64_t generation = s->generation;
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("rename", from)) co_return std::move(*e);
  auto it = s->files.find(from);
  if (it == s->files.end()) {
    co_return make_error(ErrorCode::kNotFound, "rename: no such file: " + from);
  }
  if (to.empty()) co_return make_error(ErrorCode::kInvalidArgument, "rename: empty target path");
  if (from == to) co_return Result<void>();
  if (auto target = s->files.find(to); target != s->files.end()) {
    s->unlink(*target->second);
    s->files.erase(target);
  }
  Node node = it->second;
  s->files.erase(it);
  node->path = to;
  s->files.emplace(to, std::move(node));
  co_return Result<void>();
}

Task<Result<void>> remove_op(State s, std::string path) {
  const uint64_t generation = s->generation;
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("remove", path)) co_return std::move(*e);
  auto it = s->files.find(path);
  if (it == s->files.end()) {
    co_return make_error(ErrorCode::kNotFound, "remove: no such file: " + path);
  }
  s->unlink(*it->second);
  s->files.erase(it);
  co_return Result<void>();
}

Task<Result<std::vector<std::string>>> list_op(State s, std::string prefix) {
  const uint64_t generation = s->generation;
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("list", prefix)) co_return std::move(*e);
  std::vector<std::string> paths;
  for (auto it = s->files.lower_bound(prefix);
       it != s->files.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    paths.push_back(it->first);
  }
  co_return paths;
}

Task<Result<uint64_t>> file_size_op(State s, std::string path) {
  const uint64_t generation = s->generation;
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  const Duration delay = s->draw_latency();
  if (delay > Duration::zero()) co_await sleep(s->executor, delay);
  if (auto e = s->check_operation(generation)) co_return std::move(*e);
  if (auto e = s->inject_eio("file_size", path)) co_return std::move(*e);
  auto it = s->files.find(path);
  if (it == s->files.end()) {
    co_return make_error(ErrorCode::kNotFound, "file_size: no such file: " + path);
  }
  co_return static_cast<uint64_t>(it->second->volatile_image.size());
}

}  // namespace

Result<void> DiskConfig::validate() const {
  if (latency_min < Duration::zero()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "disk.latency_min must be non-negative, got " + format_duration(latency_min));
  }
  if (latency_max < Duration::zero()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "disk.latency_max must be non-negative, got " + format_duration(latency_max));
  }
  if (latency_max < latency_min) {
    return make_error(ErrorCode::kInvalidArgument,
                      "disk.latency_max must be >= disk.latency_min (" +
                          format_duration(latency_min) + "), got " + format_duration(latency_max));
  }
  if (capacity_bytes == 0) {
    return make_error(ErrorCode::kInvalidArgument, "disk.capacity_bytes must be positive, got 0");
  }
  if (auto r = check_probability("eio_probability", eio_probability); !r.ok()) return r;
  if (auto r = check_probability("read_corruption_probability", read_corruption_probability);
      !r.ok()) {
    return r;
  }
  return {};
}

SimDisk::SimDisk(env::Executor& executor, uint64_t seed, env::Recorder* recorder)
    : state_(std::make_shared<detail::SimDiskState>(executor, seed, recorder)) {}

SimDisk::~SimDisk() {
  // Handles and suspended operations may still hold the state: they fail from now on, and
  // never reach the recorder (which may die with the world).
  state_->gone = true;
  state_->recorder = nullptr;
}

Result<void> SimDisk::configure(const DiskConfig& config) {
  if (auto r = config.validate(); !r.ok()) return r;
  state_->config = config;
  state_->full_recorded = false;  // a new capacity starts a new episode
  return {};
}

const DiskConfig& SimDisk::config() const { return state_->config; }

Task<Result<std::unique_ptr<env::File>>> SimDisk::open(std::string path,
                                                       env::OpenMode mode) {
  return open_op(state_, path, mode);
}

Task<Result<void>> SimDisk::rename(std::string from, std::string to) {
  return rename_op(state_, from, to);
}

Task<Result<void>> SimDisk::remove(std::string path) { return remove_op(state_, path); }

Task<Result<std::vector<std::string>>> SimDisk::list(std::string prefix) {
  return list_op(state_, prefix);
}

Task<Result<uint64_t>> SimDisk::file_size(std::string path) {
  return file_size_op(state_, path);
}

void SimDisk::crash() {
  SimDiskState& s = *state_;
  ++s.generation;
  uint64_t files_reset = 0;
  for (const auto& [path, node] : s.files) {
    if (node->volatile_image != node->durable_image) ++files_reset;
  }
  s.record([&](env::Recorder&) { return history::DiskCrash{s.generation, s.files.size(), files_reset}; });
  uint64_t used = 0;
  for (const auto& [path, node] : s.files) {
    node->volatile_image = node->durable_image;
    node->dirty_lo = UINT64_MAX;
    node->dirty_hi = 0;
    if (node->last_unsynced_write && s.config.tear_last_write_on_crash) {
      const PendingWrite& w = *node->last_unsynced_write;
      assert(!w.data.empty());
      const uint64_t surviving = s.random.below(w.data.size() + 1);
      apply_write(node->volatile_image, w.offset, w.data.data(), surviving);
      // What survived is on the medium now: a second crash keeps it too.
      node->durable_image = node->volatile_image;
      ++s.stats.torn_writes;
      s.record([&](env::Recorder& r) {
        return history::DiskTornWrite{r.intern(path), w.offset, w.data.size(), surviving, w.data.size() - surviving};
      });
    }
    node->last_unsynced_write.reset();
    used += node->volatile_image.size();
  }
  s.used_bytes = used;
  s.full_recorded = false;
}

Result<void> SimDisk::flip_bit_at_rest(const std::string& path, uint64_t bit) {
  SimDiskState& s = *state_;
  auto it = s.files.find(path);
  if (it == s.files.end()) {
    return make_error(ErrorCode::kNotFound, "flip_bit_at_rest: no such file: " + path);
  }
  FileNode& node = *it->second;
  const uint64_t byte = bit / 8;
  const auto mask = static_cast<uint8_t>(1u << (bit % 8));
  const bool in_durable = byte < node.durable_image.size();
  const bool in_volatile = byte < node.volatile_image.size();
  if (!in_durable && !in_volatile) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "flip_bit_at_rest: bit " + std::to_string(bit) + " is beyond " + path + " (" +
            std::to_string(std::max(node.durable_image.size(), node.volatile_image.size())) +
            " bytes)");
  }
  if (in_durable) node.durable_image[byte] ^= mask;
  if (in_volatile) node.volatile_image[byte] ^= mask;
  s.record([&](env::Recorder& r) { return history::DiskBitFlip{r.intern(path), bit, in_durable, in_volatile}; });
  return {};
}

Result<std::pair<std::string, uint64_t>> SimDisk::flip_random_bit_at_rest() {
  SimDiskState& s = *state_;
  std::vector<const FileNode*> candidates;  // in path order
  for (const auto& [path, node] : s.files) {
    if (!node->durable_image.empty() || !node->volatile_image.empty()) {
      candidates.push_back(node.get());
    }
  }
  if (candidates.empty()) {
    return make_error(ErrorCode::kNotFound, "flip_random_bit_at_rest: no non-empty file");
  }
  const FileNode& node = *candidates[s.random.below(candidates.size())];
  const uint64_t bytes = std::max(node.durable_image.size(), node.volatile_image.size());
  const uint64_t bit = s.random.below(bytes * 8);
  std::string path = node.path;
  if (auto r = flip_bit_at_rest(path, bit); !r.ok()) return r.error();
  return std::make_pair(std::move(path), bit);
}

std::optional<Bytes> SimDisk::durable_contents(const std::string& path) const {
  auto it = state_->files.find(path);
  if (it == state_->files.end()) return std::nullopt;
  return it->second->durable_image;
}

std::optional<Bytes> SimDisk::volatile_contents(const std::string& path) const {
  auto it = state_->files.find(path);
  if (it == state_->files.end()) return std::nullopt;
  return it->second->volatile_image;
}

uint64_t SimDisk::used_bytes() const { return state_->used_bytes; }

const SimDisk::Stats& SimDisk::stats() const { return state_->stats; }

}  // namespace orbit::sim
