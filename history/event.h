// The history's schema: one struct per event kind, typed fields, and the closed enum of
// kinds. The runtime, the simulator and real mode record these; the checkers, reports and
// exports read them. JSON exists only at the edges (reports/history_jsonl.h renders and
// parses these structs; docs/HISTORY.md documents the JSON Lines form).
//
// Conventions: an event's node and true time live in Event, not in the payload; actors,
// holders, processes, paths and other names are interned Syms of the owning History;
// versions and tokens are integers; digests are raw bytes; durations are Duration and
// render with an "_ns" suffix. A field name is the JSON key.
//
// How to add an event kind (docs/HISTORY.md): a struct here with kKind and fields(), its
// enumerator in EventKind and its alternative in Payload at the same position (a
// static_assert checks the order). Every switch over EventKind that must handle it then
// fails to compile (-Werror=switch, no default:) until it does.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "history/fields.h"

namespace orbit::history {

inline constexpr int64_t kWorldNode = -1;

enum class EventKind : uint16_t {
  // The world and process lifecycle (simulator and real-mode launcher).
  kBoot, kCrash, kRestart, kPause, kResume, kFrameOversize,
  kPartition, kLinkBlock, kLinkUnblock, kHeal, kClog, kUnclog, kLinkConfig, kNetworkConfig,
  kClockOffset, kClockJump, kClockDrift,
  kDiskConfig, kDiskEio, kDiskFull, kDiskReadCorruption, kDiskCrash, kDiskTornWrite, kDiskBitFlip,
  kFaultPoint, kFaultSkipped,
  kSafetyPhaseStart, kLivenessPhaseStart, kLivenessWindowStart,
  kNodeStart, kNodeStop, kStoreStart, kStoreStop, kStoreReady, kStoreOpenFailed,
  // Membership and the directory.
  kMembershipLeave, kMembershipStall, kMembershipSelfRemoved, kMembershipView,
  kDirectoryPlace, kDirectoryForget,
  // Leases, activations, snapshots (as the holder sees them).
  kLeaseAcquired, kLeaseRenewed, kLeaseLost, kLeaseReleased,
  kActivationFailed, kActivation, kDeactivation, kDuplicateDetected, kStateUncertain,
  kSnapshotReadBegin, kSnapshotLoad, kSnapshotIntegrityFailure,
  kSnapshotWriteBegin, kSnapshotWrite, kUnknownWriteResolved,
  // Clients (Jepsen-style operations) and workloads that are not Orbit's own.
  kOpInvoke, kOpComplete, kWorkload,
  // The demo world.
  kPingTimeout,
};

// Client operations of Orbit's own workloads (registers and counters).
enum class OpFunction : uint8_t { kRead, kWrite, kCas, kAdd };
template <>
struct EnumNames<OpFunction> {
  static constexpr std::array<std::string_view, 4> kNames{"read", "write", "cas", "add"};
};

// ok: applied; fail: definitely not applied; info: unknown (timed out).
enum class OpType : uint8_t { kOk, kFail, kInfo };
template <>
struct EnumNames<OpType> {
  static constexpr std::array<std::string_view, 3> kNames{"ok", "fail", "info"};
};

// A store call's outcome as the history records it: kNone, or the error code (the same
// names as env::ErrorCode, which the runtime maps one to one).
enum class StoreError : uint8_t {
  kNone, kNotFound, kAlreadyExists, kNoSpace, kIo, kInvalidArgument, kCorrupt, kTimeout, kUnavailable,
  kConflict, kRejected, kCancelled,
};
template <>
struct EnumNames<StoreError> {
  static constexpr std::array<std::string_view, 12> kNames{
      "",         "not_found",   "already_exists", "no_space", "io",       "invalid_argument",
      "corrupt",  "timeout",     "unavailable",    "conflict", "rejected", "cancelled"};
};

#define ORBIT_HISTORY_KIND(Type, Name)                    \
  static constexpr EventKind kKind = EventKind::k##Type;  \
  static constexpr std::string_view kName = Name;         \
  friend bool operator==(const Type&, const Type&) = default

// --- World and processes ----------------------------------------------------------------
struct Boot {
  ORBIT_HISTORY_KIND(Boot, "boot");
  uint64_t boot_count = 0;
  static constexpr auto fields() { return std::tuple{field("boot_count", &Boot::boot_count)}; }
};
// pid 0 and an empty cause in the simulator; real mode names the signal or the exit.
struct Crash {
  ORBIT_HISTORY_KIND(Crash, "crash");
  int64_t pid = 0;
  Sym cause;
  static constexpr auto fields() { return std::tuple{field("pid", &Crash::pid), field("cause", &Crash::cause)}; }
};
struct Restart {
  ORBIT_HISTORY_KIND(Restart, "restart");
  int64_t boot = 0;  // real mode: the boot number; 0 in the simulator (see the boot event)
  static constexpr auto fields() { return std::tuple{field("boot", &Restart::boot)}; }
};
struct Pause {
  ORBIT_HISTORY_KIND(Pause, "pause");
  int64_t pid = 0;
  static constexpr auto fields() { return std::tuple{field("pid", &Pause::pid)}; }
};
struct Resume {
  ORBIT_HISTORY_KIND(Resume, "resume");
  int64_t pid = 0;
  uint64_t deferred_events = 0;
  static constexpr auto fields() {
    return std::tuple{field("pid", &Resume::pid), field("deferred_events", &Resume::deferred_events)};
  }
};
struct FrameOversize {
  ORBIT_HISTORY_KIND(FrameOversize, "frame_oversize");
  int64_t to = 0;
  uint64_t bytes = 0;
  uint64_t limit = 0;
  static constexpr auto fields() {
    return std::tuple{field("to", &FrameOversize::to), field("bytes", &FrameOversize::bytes),
                      field("limit", &FrameOversize::limit)};
  }
};
struct Partition {
  ORBIT_HISTORY_KIND(Partition, "partition");
  IntList a;
  IntList b;
  bool one_way = false;
  static constexpr auto fields() {
    return std::tuple{field("a", &Partition::a), field("b", &Partition::b), field("one_way", &Partition::one_way)};
  }
};
struct LinkBlock {
  ORBIT_HISTORY_KIND(LinkBlock, "link_block");
  int64_t from = 0;
  int64_t to = 0;
  static constexpr auto fields() { return std::tuple{field("from", &LinkBlock::from), field("to", &LinkBlock::to)}; }
};
struct LinkUnblock {
  ORBIT_HISTORY_KIND(LinkUnblock, "link_unblock");
  int64_t from = 0;
  int64_t to = 0;
  static constexpr auto fields() { return std::tuple{field("from", &LinkUnblock::from), field("to", &LinkUnblock::to)}; }
};
struct Heal {
  ORBIT_HISTORY_KIND(Heal, "heal");
  static constexpr auto fields() { return std::tuple{}; }
};
struct Clog {
  ORBIT_HISTORY_KIND(Clog, "clog");
  int64_t from = 0;
  int64_t to = 0;
  static constexpr auto fields() { return std::tuple{field("from", &Clog::from), field("to", &Clog::to)}; }
};
struct Unclog {
  ORBIT_HISTORY_KIND(Unclog, "unclog");
  int64_t from = 0;
  int64_t to = 0;
  uint64_t released = 0;
  static constexpr auto fields() {
    return std::tuple{field("from", &Unclog::from), field("to", &Unclog::to), field("released", &Unclog::released)};
  }
};
struct LinkConfig {
  ORBIT_HISTORY_KIND(LinkConfig, "link_config");
  int64_t from = 0;
  int64_t to = 0;
  Duration latency_min{};
  Duration latency_max{};
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;
  static constexpr auto fields() {
    return std::tuple{field("from", &LinkConfig::from),
                      field("to", &LinkConfig::to),
                      field("latency_min_ns", &LinkConfig::latency_min),
                      field("latency_max_ns", &LinkConfig::latency_max),
                      field("loss", &LinkConfig::loss),
                      field("duplicate", &LinkConfig::duplicate),
                      field("reorder", &LinkConfig::reorder)};
  }
};
struct NetworkConfig {
  ORBIT_HISTORY_KIND(NetworkConfig, "network_config");
  Duration latency_min{};
  Duration latency_max{};
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;
  static constexpr auto fields() {
    return std::tuple{field("latency_min_ns", &NetworkConfig::latency_min),
                      field("latency_max_ns", &NetworkConfig::latency_max), field("loss", &NetworkConfig::loss),
                      field("duplicate", &NetworkConfig::duplicate), field("reorder", &NetworkConfig::reorder)};
  }
};
// offset: the wall clock's offset from true time now; step: how far the reading moved.
struct ClockOffset {
  ORBIT_HISTORY_KIND(ClockOffset, "clock_offset");
  Duration offset{};
  Duration step{};
  static constexpr auto fields() {
    return std::tuple{field("offset_ns", &ClockOffset::offset), field("step_ns", &ClockOffset::step)};
  }
};
struct ClockJump {
  ORBIT_HISTORY_KIND(ClockJump, "clock_jump");
  Duration delta{};
  static constexpr auto fields() { return std::tuple{field("delta_ns", &ClockJump::delta)}; }
};
struct ClockDrift {
  ORBIT_HISTORY_KIND(ClockDrift, "clock_drift");
  int64_t ppm = 0;
  static constexpr auto fields() { return std::tuple{field("ppm", &ClockDrift::ppm)}; }
};
struct DiskConfig {
  ORBIT_HISTORY_KIND(DiskConfig, "disk_config");
  Duration latency_min{};
  Duration latency_max{};
  uint64_t capacity_bytes = 0;
  double eio_probability = 0;
  double read_corruption_probability = 0;
  bool tear_last_write_on_crash = false;
  static constexpr auto fields() {
    return std::tuple{field("latency_min_ns", &DiskConfig::latency_min),
                      field("latency_max_ns", &DiskConfig::latency_max),
                      field("capacity_bytes", &DiskConfig::capacity_bytes),
                      field("eio_probability", &DiskConfig::eio_probability),
                      field("read_corruption_probability", &DiskConfig::read_corruption_probability),
                      field("tear_last_write_on_crash", &DiskConfig::tear_last_write_on_crash)};
  }
};
struct DiskEio {
  ORBIT_HISTORY_KIND(DiskEio, "disk_eio");
  Sym op;
  Sym path;
  static constexpr auto fields() { return std::tuple{field("op", &DiskEio::op), field("path", &DiskEio::path)}; }
};
struct DiskFull {
  ORBIT_HISTORY_KIND(DiskFull, "disk_full");
  Sym op;
  Sym path;
  uint64_t requested_bytes = 0;
  uint64_t used_bytes = 0;
  uint64_t capacity_bytes = 0;
  static constexpr auto fields() {
    return std::tuple{field("op", &DiskFull::op), field("path", &DiskFull::path),
                      field("requested_bytes", &DiskFull::requested_bytes), field("used_bytes", &DiskFull::used_bytes),
                      field("capacity_bytes", &DiskFull::capacity_bytes)};
  }
};
struct DiskReadCorruption {
  ORBIT_HISTORY_KIND(DiskReadCorruption, "disk_read_corruption");
  Sym path;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t bit = 0;
  static constexpr auto fields() {
    return std::tuple{field("path", &DiskReadCorruption::path), field("offset", &DiskReadCorruption::offset),
                      field("length", &DiskReadCorruption::length), field("bit", &DiskReadCorruption::bit)};
  }
};
struct DiskCrash {
  ORBIT_HISTORY_KIND(DiskCrash, "disk_crash");
  uint64_t generation = 0;
  uint64_t files = 0;
  uint64_t files_reset = 0;
  static constexpr auto fields() {
    return std::tuple{field("generation", &DiskCrash::generation), field("files", &DiskCrash::files),
                      field("files_reset", &DiskCrash::files_reset)};
  }
};
struct DiskTornWrite {
  ORBIT_HISTORY_KIND(DiskTornWrite, "disk_torn_write");
  Sym path;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t surviving_bytes = 0;
  uint64_t lost_bytes = 0;
  static constexpr auto fields() {
    return std::tuple{field("path", &DiskTornWrite::path), field("offset", &DiskTornWrite::offset),
                      field("length", &DiskTornWrite::length),
                      field("surviving_bytes", &DiskTornWrite::surviving_bytes),
                      field("lost_bytes", &DiskTornWrite::lost_bytes)};
  }
};
struct DiskBitFlip {
  ORBIT_HISTORY_KIND(DiskBitFlip, "disk_bit_flip");
  Sym path;
  uint64_t bit = 0;
  bool durable = false;
  bool volatile_image = false;
  static constexpr auto fields() {
    return std::tuple{field("path", &DiskBitFlip::path), field("bit", &DiskBitFlip::bit),
                      field("durable", &DiskBitFlip::durable), field("volatile", &DiskBitFlip::volatile_image)};
  }
};
// A BUGGIFY site fired (delay zero) or delayed its caller.
struct FaultPoint {
  ORBIT_HISTORY_KIND(FaultPoint, "fault_point");
  Sym site;
  Duration delay{};
  static constexpr auto fields() {
    return std::tuple{field("site", &FaultPoint::site), field("delay_ns", &FaultPoint::delay)};
  }
};
// A plan event that could not be applied: its index in the plan, its fault kind, why.
struct FaultSkipped {
  ORBIT_HISTORY_KIND(FaultSkipped, "fault_skipped");
  uint64_t event = 0;
  Sym kind;
  Sym reason;
  static constexpr auto fields() {
    return std::tuple{field("event", &FaultSkipped::event), field("kind", &FaultSkipped::kind),
                      field("reason", &FaultSkipped::reason)};
  }
};
struct SafetyPhaseStart {
  ORBIT_HISTORY_KIND(SafetyPhaseStart, "safety_phase_start");
  int64_t nodes = 0;
  static constexpr auto fields() { return std::tuple{field("nodes", &SafetyPhaseStart::nodes)}; }
};
// Faults heal here; liveness is judged from liveness_window_start (real mode) or the
// judge's context (simulator).
struct LivenessPhaseStart {
  ORBIT_HISTORY_KIND(LivenessPhaseStart, "liveness_phase_start");
  int64_t true_ns = 0;
  static constexpr auto fields() { return std::tuple{field("true_ns", &LivenessPhaseStart::true_ns)}; }
};
// Liveness is judged from true_ns on: every client op invoked from then must complete
// "ok" within `bound`. It makes a history self-describing for the judge.
struct LivenessWindowStart {
  ORBIT_HISTORY_KIND(LivenessWindowStart, "liveness_window_start");
  int64_t true_ns = 0;
  Duration bound{};
  static constexpr auto fields() {
    return std::tuple{field("true_ns", &LivenessWindowStart::true_ns), field("bound_ns", &LivenessWindowStart::bound)};
  }
};
struct NodeStart {
  ORBIT_HISTORY_KIND(NodeStart, "node_start");
  int64_t incarnation = 0;
  int64_t pid = 0;
  static constexpr auto fields() {
    return std::tuple{field("incarnation", &NodeStart::incarnation), field("pid", &NodeStart::pid)};
  }
};
struct NodeStop {
  ORBIT_HISTORY_KIND(NodeStop, "node_stop");
  int64_t incarnation = 0;
  static constexpr auto fields() { return std::tuple{field("incarnation", &NodeStop::incarnation)}; }
};
struct StoreStart {
  ORBIT_HISTORY_KIND(StoreStart, "store_start");
  int64_t pid = 0;
  static constexpr auto fields() { return std::tuple{field("pid", &StoreStart::pid)}; }
};
struct StoreStop {
  ORBIT_HISTORY_KIND(StoreStop, "store_stop");
  static constexpr auto fields() { return std::tuple{}; }
};
struct StoreReady {
  ORBIT_HISTORY_KIND(StoreReady, "store_ready");
  static constexpr auto fields() { return std::tuple{}; }
};
struct StoreOpenFailed {
  ORBIT_HISTORY_KIND(StoreOpenFailed, "store_open_failed");
  Sym error;
  static constexpr auto fields() { return std::tuple{field("error", &StoreOpenFailed::error)}; }
};

// --- Membership and directory -----------------------------------------------------------
struct MembershipLeave {
  ORBIT_HISTORY_KIND(MembershipLeave, "membership_leave");
  static constexpr auto fields() { return std::tuple{}; }
};
// The node heard from nobody for `blind` (its own timers ran late: a pause).
struct MembershipStall {
  ORBIT_HISTORY_KIND(MembershipStall, "membership_stall");
  Duration blind{};
  static constexpr auto fields() { return std::tuple{field("blind_ns", &MembershipStall::blind)}; }
};
struct MembershipSelfRemoved {
  ORBIT_HISTORY_KIND(MembershipSelfRemoved, "membership_self_removed");
  int64_t by = 0;
  static constexpr auto fields() { return std::tuple{field("by", &MembershipSelfRemoved::by)}; }
};
// members and suspect are member names ("n2.b1"), in the view's order.
struct MembershipView {
  ORBIT_HISTORY_KIND(MembershipView, "membership_view");
  uint64_t version = 0;
  SymList members;
  SymList suspect;
  static constexpr auto fields() {
    return std::tuple{field("version", &MembershipView::version), field("members", &MembershipView::members),
                      field("suspect", &MembershipView::suspect)};
  }
};
// The identity owner placed `actor` on node `target`; owner: this node owns the name.
struct DirectoryPlace {
  ORBIT_HISTORY_KIND(DirectoryPlace, "directory_place");
  Sym actor;
  int64_t target = 0;
  bool owner = false;
  static constexpr auto fields() {
    return std::tuple{field("actor", &DirectoryPlace::actor), field("target", &DirectoryPlace::target),
                      field("owner", &DirectoryPlace::owner)};
  }
};
struct DirectoryForget {
  ORBIT_HISTORY_KIND(DirectoryForget, "directory_forget");
  Sym actor;
  int64_t node = 0;
  Sym reason;
  static constexpr auto fields() {
    return std::tuple{field("actor", &DirectoryForget::actor), field("node", &DirectoryForget::node),
                      field("reason", &DirectoryForget::reason)};
  }
};

// --- Leases, activations, snapshots ---------------------------------------------------------
// valid_for: the validity the holder believes it has from this moment (its own clock,
// already shortened by the drift margin).
struct LeaseAcquired {
  ORBIT_HISTORY_KIND(LeaseAcquired, "lease_acquired");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  Duration valid_for{};
  static constexpr auto fields() {
    return std::tuple{field("actor", &LeaseAcquired::actor), field("holder", &LeaseAcquired::holder),
                      field("version", &LeaseAcquired::version), field("valid_for_ns", &LeaseAcquired::valid_for)};
  }
};
struct LeaseRenewed {
  ORBIT_HISTORY_KIND(LeaseRenewed, "lease_renewed");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  Duration valid_for{};
  static constexpr auto fields() {
    return std::tuple{field("actor", &LeaseRenewed::actor), field("holder", &LeaseRenewed::holder),
                      field("version", &LeaseRenewed::version), field("valid_for_ns", &LeaseRenewed::valid_for)};
  }
};
struct LeaseLost {
  ORBIT_HISTORY_KIND(LeaseLost, "lease_lost");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  Sym now_held_by;
  int64_t now_version = 0;
  static constexpr auto fields() {
    return std::tuple{field("actor", &LeaseLost::actor), field("holder", &LeaseLost::holder),
                      field("version", &LeaseLost::version), field("now_held_by", &LeaseLost::now_held_by),
                      field("now_version", &LeaseLost::now_version)};
  }
};
struct LeaseReleased {
  ORBIT_HISTORY_KIND(LeaseReleased, "lease_released");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  bool ok = false;
  static constexpr auto fields() {
    return std::tuple{field("actor", &LeaseReleased::actor), field("holder", &LeaseReleased::holder),
                      field("version", &LeaseReleased::version), field("ok", &LeaseReleased::ok)};
  }
};
struct ActivationFailed {
  ORBIT_HISTORY_KIND(ActivationFailed, "activation_failed");
  Sym actor;
  Sym holder;
  Sym error;
  static constexpr auto fields() {
    return std::tuple{field("actor", &ActivationFailed::actor), field("holder", &ActivationFailed::holder),
                      field("error", &ActivationFailed::error)};
  }
};
struct Activation {
  ORBIT_HISTORY_KIND(Activation, "activation");
  Sym actor;
  Sym holder;
  int64_t token = 0;
  int64_t state_version = 0;
  static constexpr auto fields() {
    return std::tuple{field("actor", &Activation::actor), field("holder", &Activation::holder),
                      field("token", &Activation::token), field("state_version", &Activation::state_version)};
  }
};
struct Deactivation {
  ORBIT_HISTORY_KIND(Deactivation, "deactivation");
  Sym actor;
  Sym holder;
  int64_t token = 0;
  Sym reason;
  static constexpr auto fields() {
    return std::tuple{field("actor", &Deactivation::actor), field("holder", &Deactivation::holder),
                      field("token", &Deactivation::token), field("reason", &Deactivation::reason)};
  }
};
struct DuplicateDetected {
  ORBIT_HISTORY_KIND(DuplicateDetected, "duplicate_detected");
  Sym actor;
  Sym holder;
  int64_t token = 0;
  static constexpr auto fields() {
    return std::tuple{field("actor", &DuplicateDetected::actor), field("holder", &DuplicateDetected::holder),
                      field("token", &DuplicateDetected::token)};
  }
};
struct StateUncertain {
  ORBIT_HISTORY_KIND(StateUncertain, "state_uncertain");
  Sym actor;
  Sym holder;
  Sym error;
  static constexpr auto fields() {
    return std::tuple{field("actor", &StateUncertain::actor), field("holder", &StateUncertain::holder),
                      field("error", &StateUncertain::error)};
  }
};
struct SnapshotReadBegin {
  ORBIT_HISTORY_KIND(SnapshotReadBegin, "snapshot_read_begin");
  Sym actor;
  Sym holder;
  static constexpr auto fields() {
    return std::tuple{field("actor", &SnapshotReadBegin::actor), field("holder", &SnapshotReadBegin::holder)};
  }
};
// sha256: the digest stored with the snapshot; loaded_sha256: the digest of the bytes
// loaded; verified: they matched (a load that did not verify is a bug to report).
struct SnapshotLoad {
  ORBIT_HISTORY_KIND(SnapshotLoad, "snapshot_load");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  Sha256 sha256;
  Sha256 loaded_sha256;
  bool verified = false;
  bool newest = false;
  static constexpr auto fields() {
    return std::tuple{field("actor", &SnapshotLoad::actor),       field("holder", &SnapshotLoad::holder),
                      field("version", &SnapshotLoad::version),   field("sha256", &SnapshotLoad::sha256),
                      field("loaded_sha256", &SnapshotLoad::loaded_sha256),
                      field("verified", &SnapshotLoad::verified), field("newest", &SnapshotLoad::newest)};
  }
};
// A stored snapshot that failed verification: digests differ, or (error non-empty) its
// bytes did not decode.
struct SnapshotIntegrityFailure {
  ORBIT_HISTORY_KIND(SnapshotIntegrityFailure, "snapshot_integrity_failure");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  Sha256 expected_sha256;
  Sha256 actual_sha256;
  Sym error;
  static constexpr auto fields() {
    return std::tuple{field("actor", &SnapshotIntegrityFailure::actor),
                      field("holder", &SnapshotIntegrityFailure::holder),
                      field("version", &SnapshotIntegrityFailure::version),
                      field("expected_sha256", &SnapshotIntegrityFailure::expected_sha256),
                      field("actual_sha256", &SnapshotIntegrityFailure::actual_sha256),
                      field("error", &SnapshotIntegrityFailure::error)};
  }
};
struct SnapshotWriteBegin {
  ORBIT_HISTORY_KIND(SnapshotWriteBegin, "snapshot_write_begin");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  int64_t token = 0;
  Sha256 sha256;
  static constexpr auto fields() {
    return std::tuple{field("actor", &SnapshotWriteBegin::actor), field("holder", &SnapshotWriteBegin::holder),
                      field("version", &SnapshotWriteBegin::version), field("token", &SnapshotWriteBegin::token),
                      field("sha256", &SnapshotWriteBegin::sha256)};
  }
};
// ok: the store acknowledged; error: why not (kRejected: a stale token; kConflict: a
// version race; anything else: the outcome is unknown, the write may have landed).
struct SnapshotWrite {
  ORBIT_HISTORY_KIND(SnapshotWrite, "snapshot_write");
  Sym actor;
  Sym holder;
  int64_t version = 0;
  int64_t token = 0;
  Sha256 sha256;
  bool ok = false;
  StoreError error = StoreError::kNone;
  static constexpr auto fields() {
    return std::tuple{field("actor", &SnapshotWrite::actor),     field("holder", &SnapshotWrite::holder),
                      field("version", &SnapshotWrite::version), field("token", &SnapshotWrite::token),
                      field("sha256", &SnapshotWrite::sha256),   field("ok", &SnapshotWrite::ok),
                      field("error", &SnapshotWrite::error)};
  }
};
struct UnknownWriteResolved {
  ORBIT_HISTORY_KIND(UnknownWriteResolved, "unknown_write_resolved");
  Sym actor;
  int64_t version = 0;
  bool applied = false;
  static constexpr auto fields() {
    return std::tuple{field("actor", &UnknownWriteResolved::actor), field("version", &UnknownWriteResolved::version),
                      field("applied", &UnknownWriteResolved::applied)};
  }
};

// --- Clients ------------------------------------------------------------------------------
// value: a write's value, an add's amount, a CAS's new value; expected: a CAS's expected
// value (empty: "unset"). Reads carry neither.
struct OpInvoke {
  ORBIT_HISTORY_KIND(OpInvoke, "op_invoke");
  Sym process;
  int64_t op = 0;
  Sym actor;
  OpFunction f = OpFunction::kRead;
  OptInt value;
  OptInt expected;
  static constexpr auto fields() {
    return std::tuple{field("process", &OpInvoke::process), field("op", &OpInvoke::op),
                      field("actor", &OpInvoke::actor),     field("f", &OpInvoke::f),
                      field("value", &OpInvoke::value),     field("expected", &OpInvoke::expected)};
  }
};
// value: a read's result (empty: unset/none); precondition_failed: a "fail" the system
// answered on purpose (a CAS whose expected value did not match).
struct OpComplete {
  ORBIT_HISTORY_KIND(OpComplete, "op_complete");
  Sym process;
  int64_t op = 0;
  Sym actor;
  OpType type = OpType::kOk;
  OptInt value;
  Sym error;
  bool precondition_failed = false;
  static constexpr auto fields() {
    return std::tuple{field("process", &OpComplete::process), field("op", &OpComplete::op),
                      field("actor", &OpComplete::actor),     field("type", &OpComplete::type),
                      field("value", &OpComplete::value),     field("error", &OpComplete::error),
                      field("precondition_failed", &OpComplete::precondition_failed)};
  }
};
// A workload that is not Orbit's own records its operations here: `ns` names the workload
// (its codec), `name` the record type, `payload` the bytes that codec encoded. The enum
// of kinds stays closed; the workload's own checkers decode the payload.
struct Workload {
  ORBIT_HISTORY_KIND(Workload, "workload");
  Sym ns;
  Sym name;
  Blob payload;
  static constexpr auto fields() {
    return std::tuple{field("ns", &Workload::ns), field("name", &Workload::name), field("payload", &Workload::payload)};
  }
};

struct PingTimeout {
  ORBIT_HISTORY_KIND(PingTimeout, "ping_timeout");
  int64_t peer = 0;
  uint64_t seq = 0;
  static constexpr auto fields() { return std::tuple{field("peer", &PingTimeout::peer), field("seq", &PingTimeout::seq)}; }
};

#undef ORBIT_HISTORY_KIND

// In EventKind order.
using Payload = std::variant<
    Boot, Crash, Restart, Pause, Resume, FrameOversize,
    Partition, LinkBlock, LinkUnblock, Heal, Clog, Unclog, LinkConfig, NetworkConfig,
    ClockOffset, ClockJump, ClockDrift,
    DiskConfig, DiskEio, DiskFull, DiskReadCorruption, DiskCrash, DiskTornWrite, DiskBitFlip,
    FaultPoint, FaultSkipped,
    SafetyPhaseStart, LivenessPhaseStart, LivenessWindowStart,
    NodeStart, NodeStop, StoreStart, StoreStop, StoreReady, StoreOpenFailed,
    MembershipLeave, MembershipStall, MembershipSelfRemoved, MembershipView,
    DirectoryPlace, DirectoryForget,
    LeaseAcquired, LeaseRenewed, LeaseLost, LeaseReleased,
    ActivationFailed, Activation, Deactivation, DuplicateDetected, StateUncertain,
    SnapshotReadBegin, SnapshotLoad, SnapshotIntegrityFailure,
    SnapshotWriteBegin, SnapshotWrite, UnknownWriteResolved,
    OpInvoke, OpComplete, Workload,
    PingTimeout>;

inline constexpr size_t kKindCount = std::variant_size_v<Payload>;

namespace detail {
template <size_t... I>
consteval bool kinds_in_order(std::index_sequence<I...>) {
  return ((static_cast<size_t>(std::variant_alternative_t<I, Payload>::kKind) == I) && ...);
}
}  // namespace detail
static_assert(detail::kinds_in_order(std::make_index_sequence<kKindCount>{}),
              "Payload alternatives must follow EventKind order");
static_assert(static_cast<size_t>(EventKind::kPingTimeout) + 1 == kKindCount, "every EventKind has a payload");

// The kind's snake_case name ("lease_acquired"); parse_kind is its inverse.
std::string_view kind_name(EventKind kind);
std::optional<EventKind> parse_kind(std::string_view name);

// One recorded event: true time (ns), the node it happened on (kWorldNode for the world),
// and the typed payload.
struct Event {
  int64_t time_ns = 0;
  int64_t node = kWorldNode;
  Payload payload;

  EventKind kind() const { return static_cast<EventKind>(payload.index()); }
  template <class T>
  const T* get() const { return std::get_if<T>(&payload); }
  template <class T>
  bool is() const { return std::holds_alternative<T>(payload); }
  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace orbit::history
