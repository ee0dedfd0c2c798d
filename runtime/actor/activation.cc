#include "runtime/actor/activation.h"

#include <cassert>

#include "history/sha256.h"
#include "runtime/env/planted_bugs.h"
#include "runtime/actor/actor_system.h"
#include "runtime/actor/lease_validity.h"
#include "runtime/env/fault_sites.h"
#include "runtime/env/sleep.h"
#include "runtime/persistence/snapshot_hash.h"

namespace orbit::actor {

using persistence::LeaseOutcome;
using persistence::Snapshot;

namespace {

// The history carries digests as raw bytes. The runtime's hex comes from sha256_hex or from
// the store; a value that is not 64 hex digits (a corrupt record) is recorded as the
// all-zero digest, which matches no real digest, so a checker comparing it sees a mismatch.
history::Sha256 digest_of(std::string_view hex) {
  return history::sha256_from_hex(hex).value_or(history::Sha256{});
}

// One to one: the history names the same codes as env::ErrorCode.
history::StoreError store_error(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return history::StoreError::kNotFound;
    case ErrorCode::kAlreadyExists: return history::StoreError::kAlreadyExists;
    case ErrorCode::kNoSpace: return history::StoreError::kNoSpace;
    case ErrorCode::kIo: return history::StoreError::kIo;
    case ErrorCode::kInvalidArgument: return history::StoreError::kInvalidArgument;
    case ErrorCode::kCorrupt: return history::StoreError::kCorrupt;
    case ErrorCode::kTimeout: return history::StoreError::kTimeout;
    case ErrorCode::kUnavailable: return history::StoreError::kUnavailable;
    case ErrorCode::kConflict: return history::StoreError::kConflict;
    case ErrorCode::kRejected: return history::StoreError::kRejected;
    case ErrorCode::kCancelled: return history::StoreError::kCancelled;
    case ErrorCode::kOverloaded: return history::StoreError::kUnavailable;  // a store refusing load: not applied
  }
  return history::StoreError::kIo;  // unreachable: the switch is exhaustive
}

int64_t as_int(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

std::string_view to_string(DeactivationReason reason) {
  switch (reason) {
    case DeactivationReason::kIdle: return "idle";
    case DeactivationReason::kLeaseLost: return "lease_lost";
    case DeactivationReason::kLeaseLapsed: return "lease_lapsed";
    case DeactivationReason::kDuplicate: return "duplicate";
    case DeactivationReason::kShutdown: return "shutdown";
    case DeactivationReason::kActivationFailed: return "activation_failed";
    case DeactivationReason::kStateUncertain: return "state_uncertain";
  }
  return "?";
}

Activation::Activation(ActorSystem& system, ActorKey key, const KindInfo& kind, std::string holder)
    : system_(system),
      env_(system.env()),
      key_(std::move(key)),
      kind_(kind),
      holder_(std::move(holder)),
      actor_sym_(env_.recorder.intern(key_.to_string())),
      holder_sym_(env_.recorder.intern(holder_)) {}

void Activation::record(history::Payload event) { env_.recorder.record(std::move(event)); }

Activation::~Activation() {
  if (lapse_timer_ != 0) env_.executor.cancel(lapse_timer_);
  scope_.cancel_all();
  fail_queued("activation destroyed");
}

bool Activation::lease_valid() const {
  return state_ == ActivationState::kActive && env_.clock.mono_now() < valid_until_;
}

void Activation::arm_lapse_timer() {
  if (lapse_timer_ != 0) env_.executor.cancel(lapse_timer_);
  const Duration left = valid_until_ - env_.clock.mono_now();
  lapse_timer_ = env_.executor.schedule_after(left, [this] {
    lapse_timer_ = 0;
    on_lease_lapse();
  });
}

void Activation::on_lease_lapse() {
  if (state_ != ActivationState::kActive) return;
  if (env_.clock.mono_now() < valid_until_) {  // renewed meanwhile
    arm_lapse_timer();
    return;
  }
  ++system_.mutable_metrics().lease_lapses;
  stop(DeactivationReason::kLeaseLapsed);
}

Task<Result<void>> Activation::activate() {
  auto& metrics = system_.mutable_metrics();
  const ActorSystemConfig& config = system_.config();
  const MonoTime sent_at = env_.clock.mono_now();
  // Named, not braced inside co_await: GCC 12 miscompiles initializer lists there.
  persistence::Tags metadata;
  metadata["node"] = std::to_string(env_.node);
  Result<LeaseOutcome> lease = co_await system_.provider().acquire_lease(key_, holder_, config.lease_duration, metadata);
  system_.observe_store_call("acquire_lease", lease.ok(), env_.clock.mono_now() - sent_at);
  if (!lease.ok()) {
    ++metrics.activation_failures;
    state_ = ActivationState::kGone;
    co_return Error{lease.code(), "lease acquire failed: " + lease.error().message};
  }
  if (!lease->granted) {
    ++metrics.lease_conflicts;
    conflict_ = lease->record;
    state_ = ActivationState::kGone;
    co_return Error{ErrorCode::kRejected, "lease held by " + lease->record.holder};
  }
  ++metrics.lease_acquires;
  lease_version_ = lease->record.version;
  const MonoTime counted_from = env::planted(env::bug_sites::kAcquireValidityFromReceipt) ? env_.clock.mono_now() : sent_at;
  valid_until_ = lease_valid_until(counted_from, config);
  record(history::LeaseAcquired{
      actor_sym_, holder_sym_, as_int(lease_version_), valid_until_ - env_.clock.mono_now()});

  instance_ = kind_.make();
  instance_->attach(this);
  if (Result<void> loaded = co_await load_snapshot(); !loaded.ok()) {
    ++metrics.activation_failures;
    state_ = ActivationState::kGone;
    // The lease is ours and nothing was written: hand it back so another try can proceed.
    (void)co_await system_.provider().release_lease(key_, holder_, lease_version_);
    record(history::ActivationFailed{actor_sym_, holder_sym_, env_.recorder.intern(to_string(loaded.error()))});
    co_return loaded.error();
  }
  if (env_.clock.mono_now() >= valid_until_) {
    ++metrics.activation_failures;
    state_ = ActivationState::kGone;
    co_return Error{ErrorCode::kUnavailable, "lease validity ran out while activating"};
  }

  state_ = ActivationState::kActive;
  last_activity_ = env_.clock.mono_now();
  ++metrics.activations;
  record(history::Activation{actor_sym_, holder_sym_, as_int(lease_version_), as_int(state_version_)});
  arm_lapse_timer();
  scope_.spawn(renewal_loop());
  scope_.spawn(idle_loop());
  if (!kind_.policy.is_write_through()) scope_.spawn(snapshot_loop());
  co_return Result<void>{};
}

Task<Result<void>> Activation::load_snapshot() {
  auto& metrics = system_.mutable_metrics();
  const MonoTime started = env_.clock.mono_now();
  // A load is as fresh as the moment its read left: a holder paused with the read in flight
  // records an old (but then current) version late.
  record(history::SnapshotReadBegin{actor_sym_, holder_sym_});
  Result<std::vector<Snapshot>> snapshots = co_await system_.provider().read_snapshots(key_);
  system_.observe_store_call("read_snapshots", snapshots.ok(), env_.clock.mono_now() - started);
  if (!snapshots.ok()) co_return Error{snapshots.code(), "reading snapshots: " + snapshots.error().message};
  ++metrics.snapshot_loads;
  for (const Snapshot& snapshot : *snapshots) metrics.snapshot_bytes_read += snapshot.state.size();
  if (snapshots->empty()) {
    persisted_state_ = instance_->canonical_state();
    co_return Result<void>{};
  }
  // Newest first; the first that verifies wins. A corrupt version is never loaded.
  for (const Snapshot& snapshot : *snapshots) {
    const bool verified = env::planted(env::bug_sites::kLoadSkipsHashCheck) || persistence::hash_verifies(snapshot);
    if (!verified) {
      ++metrics.snapshot_integrity_failures;
      system_.observe_integrity_failure();
      record(history::SnapshotIntegrityFailure{actor_sym_, holder_sym_, as_int(snapshot.version),
                                               digest_of(snapshot.sha256),
                                               digest_of(persistence::sha256_hex(snapshot.state)), {}});
      continue;
    }
    if (Result<void> r = instance_->load_state(snapshot.state); !r.ok()) {
      ++metrics.snapshot_integrity_failures;
      system_.observe_integrity_failure();
      record(history::SnapshotIntegrityFailure{actor_sym_, holder_sym_, as_int(snapshot.version), {}, {},
                                               env_.recorder.intern(r.error().message)});
      continue;
    }
    state_version_ = snapshot.version;
    created_at_ns_ = snapshot.created_at_ns;
    persisted_state_ = instance_->canonical_state();
    // loaded_sha256 is computed from the bytes actually loaded, so a checker can compare it
    // with what was written at this version without trusting this code's verification.
    record(history::SnapshotLoad{actor_sym_, holder_sym_, as_int(snapshot.version), digest_of(snapshot.sha256),
                                 digest_of(persistence::sha256_hex(snapshot.state)), verified,
                                 snapshot.version == snapshots->front().version});
    co_return Result<void>{};
  }
  co_return Error{ErrorCode::kCorrupt, "no retained snapshot of " + key_.to_string() + " verifies (" +
                                           std::to_string(snapshots->size()) + " tried)"};
}

Task<Result<Payload>> Activation::invoke(Payload request) {
  if (state_ != ActivationState::kActive) {
    co_return Error{ErrorCode::kUnavailable, "activation of " + key_.to_string() + " is not active"};
  }
  if (mailbox_.size() >= system_.config().max_mailbox_depth) {
    // Fail fast: a queue without bound turns overload into timeouts for every caller.
    ++system_.mutable_metrics().rejected_overloaded;
    co_return Error{ErrorCode::kOverloaded, key_.to_string() + " has " + std::to_string(mailbox_.size()) +
                                                " calls queued (max_mailbox_depth)"};
  }
  auto envelope = std::make_shared<Envelope>();
  envelope->request = std::move(request);
  mailbox_.push_back(envelope);
  if (!processing_) {
    processing_ = true;
    scope_.spawn(process_mailbox());
  }
  co_return co_await envelope->reply.take();
}

Task<void> Activation::process_mailbox() {
  auto& metrics = system_.mutable_metrics();
  while (!mailbox_.empty()) {
    current_ = mailbox_.front();
    mailbox_.pop_front();
    if (!lease_valid()) {
      current_->reply.set(Error{ErrorCode::kUnavailable, "lease of " + key_.to_string() + " is not valid"});
      current_.reset();
      if (state_ == ActivationState::kActive) on_lease_lapse();
      continue;
    }
    last_activity_ = env_.clock.mono_now();
    ++metrics.calls_invoked;
    std::shared_ptr<Envelope> envelope = current_;
    Result<Payload> reply = co_await instance_->handle_payload(std::move(envelope->request));
    if (state_ != ActivationState::kActive) {
      // Stopped while the handler ran (lease lost or lapsed) and nothing was written: its
      // effects are not durable and must not be acknowledged.
      envelope->reply.set(Error{ErrorCode::kUnavailable, "activation stopped while handling the call"});
      current_.reset();
      continue;
    }
    if (kind_.policy.is_write_through()) {
      if (Result<void> persisted = co_await persist_if_changed(); !persisted.ok()) {
        // Not known to be durable, so not acknowledged. A rejected write means we are a
        // duplicate (stopped). Otherwise the outcome is unknown (the store may have
        // applied it and the reply got lost): learn the truth from the store before the
        // next message, so we neither lose the write nor fork from it.
        const bool rejected = persisted.code() == ErrorCode::kRejected;
        const bool never_sent = persisted.code() == ErrorCode::kUnavailable;
        envelope->reply.set(Error{rejected || never_sent ? ErrorCode::kUnavailable : ErrorCode::kTimeout,
                                  "state not persisted: " + persisted.error().message});
        current_.reset();
        if (!rejected && !never_sent && state_ == ActivationState::kActive) co_await resync_after_unknown_write();
        continue;
      }
      // Durable: acknowledged even if the activation stopped while the write was out.
    }
    envelope->reply.set(std::move(reply));
    current_.reset();
  }
  processing_ = false;
}

Task<void> Activation::resync_after_unknown_write() {
  Result<std::vector<Snapshot>> snapshots = co_await system_.provider().read_snapshots(key_);
  if (state_ != ActivationState::kActive) co_return;
  if (!snapshots.ok()) {
    // Cannot tell what is durable: stop; the next activation loads the store's truth.
    record(history::StateUncertain{actor_sym_, holder_sym_, env_.recorder.intern(to_string(snapshots.error()))});
    stop(DeactivationReason::kStateUncertain);
    co_return;
  }
  for (const Snapshot& snapshot : *snapshots) {
    if (!persistence::hash_verifies(snapshot) || snapshot.version < state_version_) continue;
    if (snapshot.version > state_version_ && snapshot.fencing_token == lease_version_ &&
        instance_->load_state(snapshot.state).ok()) {
      // Our write did land.
      state_version_ = snapshot.version;
      persisted_state_ = instance_->canonical_state();
      record(history::UnknownWriteResolved{actor_sym_, as_int(state_version_), true});
      co_return;
    }
    break;
  }
  // It did not land (or someone else wrote, which the next write's fencing will reveal).
  (void)instance_->load_state(persisted_state_);
  record(history::UnknownWriteResolved{actor_sym_, as_int(state_version_), false});
}

Task<Result<void>> Activation::persist_if_changed() {
  Bytes now = instance_->canonical_state();
  if (now == persisted_state_) co_return Result<void>{};
  Result<uint64_t> written = co_await persist_bytes(state_version_, std::move(now));
  if (!written.ok()) co_return written.error();
  co_return Result<void>{};
}

Task<Result<uint64_t>> Activation::persist_state(uint64_t expected_version) {
  return persist_bytes(expected_version, instance_->canonical_state());
}

Task<Result<uint64_t>> Activation::persist_bytes(uint64_t expected_version, Bytes state) {
  auto& metrics = system_.mutable_metrics();
  if (!lease_valid()) co_return Error{ErrorCode::kUnavailable, "lease of " + key_.to_string() + " is not valid"};
  write_in_flight_ = true;
  // Fault point: a stall between the lease check and the write leaving (a GC pause, a slow
  // serializer). Nothing local can catch a write that leaves after the lease is gone;
  // the store's fencing check must.
  if (const Duration stall = env_.faults.delay(env::sites::kStallBeforeSnapshotWrite, system_.config().lease_duration * 2);
      stall > Duration::zero()) {
    co_await sleep(env_.executor, stall);
  }
  Snapshot snapshot;
  snapshot.key = key_;
  snapshot.version = expected_version + 1;
  // The state as it was when the write was decided (a stall above does not change what
  // this write carries: the caller compared exactly these bytes).
  snapshot.state = std::move(state);
  const persistence::Digest raw_digest = persistence::sha256_digest(snapshot.state);
  snapshot.sha256 = persistence::to_hex(raw_digest);
  snapshot.fencing_token = lease_version_;
  const int64_t wall_ns = to_nanos(env_.clock.wall_now());
  snapshot.created_at_ns = created_at_ns_ != 0 ? created_at_ns_ : wall_ns;
  snapshot.updated_at_ns = wall_ns;
  snapshot.node = std::to_string(env_.node);
  // The intent, before the write leaves: if this node dies with the write in flight, the
  // history still shows a write that may have landed.
  const history::Sha256 digest{raw_digest};
  record(history::SnapshotWriteBegin{actor_sym_, holder_sym_, as_int(snapshot.version), as_int(lease_version_), digest});
  const MonoTime started = env_.clock.mono_now();
  Result<void> r = co_await system_.provider().write_snapshot(snapshot, expected_version);
  write_in_flight_ = false;
  // A fencing rejection or version conflict is the store working, not failing.
  system_.observe_store_call("write_snapshot", r.ok() || r.code() == ErrorCode::kRejected || r.code() == ErrorCode::kConflict,
                             env_.clock.mono_now() - started);
  record(history::SnapshotWrite{actor_sym_, holder_sym_, as_int(snapshot.version), as_int(lease_version_), digest, r.ok(),
                                r.ok() ? history::StoreError::kNone : store_error(r.code())});
  if (!r.ok()) {
    if (r.code() != ErrorCode::kRejected && r.code() != ErrorCode::kConflict) {
      // The write left: whatever went wrong on the way (a timeout, a lost connection), it
      // may have been applied. Only an answer from the store is a definite "no".
      if (retire_after_write_) system_.retire(this);
      co_return Error{ErrorCode::kTimeout, "outcome unknown: " + r.error().message};
    }
    if (r.code() == ErrorCode::kRejected) {
      // The store knows a newer lease: another activation took over. This one is a
      // duplicate: stop at once, write nothing more.
      ++metrics.duplicate_activations_detected;
      record(history::DuplicateDetected{actor_sym_, holder_sym_, as_int(lease_version_)});
      stop(DeactivationReason::kDuplicate);
    }
    if (retire_after_write_) system_.retire(this);
    co_return r.error();
  }
  if (retire_after_write_) system_.retire(this);
  ++metrics.snapshot_writes;
  metrics.snapshot_bytes_written += snapshot.state.size();
  state_version_ = snapshot.version;
  created_at_ns_ = snapshot.created_at_ns;
  persisted_state_ = std::move(snapshot.state);
  co_return state_version_;
}

Task<void> Activation::renewal_loop() {
  auto& metrics = system_.mutable_metrics();
  const ActorSystemConfig& config = system_.config();
  const Duration renew_every = config.renew_after();
  Duration wait = renew_every;
  for (;;) {
    co_await sleep(env_.executor, wait);
    // Fault point: a renewal that goes out late (a busy loop, a slow scheduler).
    if (const Duration late = env_.faults.delay(env::sites::kDelayRenewal, config.lease_duration / 2); late > Duration::zero()) {
      co_await sleep(env_.executor, late);
    }
    if (state_ != ActivationState::kActive) co_return;
    const MonoTime sent_at = env_.clock.mono_now();
    Result<LeaseOutcome> renewed = co_await system_.provider().renew_lease(key_, holder_, lease_version_, config.lease_duration);
    system_.observe_store_call("renew_lease", renewed.ok(), env_.clock.mono_now() - sent_at);
    if (state_ != ActivationState::kActive) co_return;
    if (renewed.ok() && renewed->granted) {
      ++metrics.lease_renewals;
      const MonoTime counted_from =
          env::planted(env::bug_sites::kRenewValidityFromReceipt) ? env_.clock.mono_now() : sent_at;
      valid_until_ = lease_valid_until(counted_from, config);
      record(history::LeaseRenewed{
          actor_sym_, holder_sym_, as_int(lease_version_), valid_until_ - env_.clock.mono_now()});
      arm_lapse_timer();
      wait = renew_every;
      continue;
    }
    if (renewed.ok()) {
      ++metrics.lease_conflicts;
      record(history::LeaseLost{actor_sym_, holder_sym_, as_int(lease_version_),
                                env_.recorder.intern(renewed->record.holder), as_int(renewed->record.version)});
      stop(DeactivationReason::kLeaseLost);
      co_return;
    }
    // The store did not answer: retry soon; the lapse timer stops us if validity runs out.
    wait = std::max<Duration>(renew_every / 8, 10ms);
  }
}

Task<void> Activation::snapshot_loop() {
  const Duration every =
      kind_.policy.interval > Duration::zero() ? kind_.policy.interval : system_.config().snapshot_interval;
  for (;;) {
    co_await sleep(env_.executor, every);
    if (state_ != ActivationState::kActive) co_return;
    if (processing_) continue;  // never persist half-way through a handler
    (void)co_await persist_if_changed();
  }
}

Task<void> Activation::idle_loop() {
  const Duration idle = system_.config().idle_timeout;
  for (;;) {
    const Duration since = env_.clock.mono_now() - last_activity_;
    co_await sleep(env_.executor, since >= idle ? idle : idle - since);
    if (state_ != ActivationState::kActive) co_return;
    if (processing_ || !mailbox_.empty()) continue;
    if (env_.clock.mono_now() - last_activity_ >= idle) {
      co_await deactivate(DeactivationReason::kIdle);
      co_return;
    }
  }
}

Task<void> Activation::deactivate(DeactivationReason reason) {
  if (state_ != ActivationState::kActive) co_return;
  state_ = ActivationState::kDeactivating;
  fail_queued("activation of " + key_.to_string() + " is deactivating");
  // Final snapshot, with the lease still ours: lease_valid() needs kActive, so check by hand.
  if (env_.clock.mono_now() < valid_until_) {
    Bytes now = instance_->canonical_state();
    if (now != persisted_state_) {
      state_ = ActivationState::kActive;
      Result<uint64_t> written = co_await persist_bytes(state_version_, std::move(now));
      if (state_ == ActivationState::kActive) state_ = ActivationState::kDeactivating;
      if (!written.ok() && written.code() == ErrorCode::kRejected) co_return;  // stop() retired us
    }
    if (env_.clock.mono_now() < valid_until_ && state_ == ActivationState::kDeactivating) {
      Result<void> released = co_await system_.provider().release_lease(key_, holder_, lease_version_);
      record(history::LeaseReleased{actor_sym_, holder_sym_, as_int(lease_version_), released.ok()});
    }
  }
  if (state_ == ActivationState::kGone) co_return;
  stop(reason);
}

void Activation::fail_queued(const std::string& why) {
  while (!mailbox_.empty()) {
    std::shared_ptr<Envelope> envelope = mailbox_.front();
    mailbox_.pop_front();
    envelope->reply.set(Error{ErrorCode::kUnavailable, why});
  }
}

void Activation::stop(DeactivationReason reason) {
  if (state_ == ActivationState::kGone) return;
  state_ = ActivationState::kGone;
  if (lapse_timer_ != 0) {
    env_.executor.cancel(lapse_timer_);
    lapse_timer_ = 0;
  }
  fail_queued("activation of " + key_.to_string() + " stopped: " + std::string(to_string(reason)));
  ++system_.mutable_metrics().deactivations;
  record(history::Deactivation{actor_sym_, holder_sym_, as_int(lease_version_), env_.recorder.intern(to_string(reason))});
  if (write_in_flight_) {
    retire_after_write_ = true;  // the write's verdict answers the current call
    return;
  }
  if (current_ && !current_->reply.is_set()) {
    current_->reply.set(Error{ErrorCode::kUnavailable, "activation stopped: " + std::string(to_string(reason))});
  }
  system_.retire(this);
}

}  // namespace orbit::actor
