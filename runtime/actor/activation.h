// Activation: one running instance of an actor on this node, and the safety core of the
// runtime. Lifecycle: Activating -> Active -> Deactivating -> (gone).
//
// Activating: acquire the lease (validity counted on our monotonic clock from the moment
// the request was *sent*), load the newest snapshot whose hash verifies (falling back to
// older retained versions; never loading a corrupt one), instantiate, then start the
// renewal and (periodic policy) snapshot loops.
// Active: messages run one at a time from the mailbox. Before each one, and before every
// write, the lease must still be valid by our clock; the moment it is not, processing stops,
// queued calls fail with kUnavailable, and nothing more is written. Every state write
// carries the lease version as fencing token; the store rejecting it means another
// activation took over: this one is a duplicate, records it, and deactivates.
// Deactivating: (only when the lease is still ours) final snapshot and lease release.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "history/event.h"
#include "runtime/actor/actor.h"
#include "runtime/actor/config.h"
#include "runtime/env/env.h"
#include "runtime/env/oneshot.h"
#include "runtime/env/task_scope.h"
#include "runtime/persistence/provider.h"

namespace orbit::actor {

struct KindInfo;
class ActorSystem;

enum class ActivationState { kActivating, kActive, kDeactivating, kGone };

// Why an activation ended; recorded in the history.
enum class DeactivationReason {
  kIdle,
  kLeaseLost,
  kLeaseLapsed,
  kDuplicate,
  kShutdown,
  kActivationFailed,
  kStateUncertain,
};
std::string_view to_string(DeactivationReason reason);

class Activation final : public ActorServices {
 public:
  Activation(ActorSystem& system, ActorKey key, const KindInfo& kind, std::string holder);
  ~Activation() override;
  Activation(const Activation&) = delete;
  Activation& operator=(const Activation&) = delete;

  // Runs activation to Active or fails (kRejected with the current holder when the lease
  // is held elsewhere: see lease_holder(); kCorrupt when no snapshot verifies; others).
  Task<Result<void>> activate();

  // Queues a request and waits for its reply. kUnavailable when the activation stops
  // before running it (definitely not applied).
  Task<Result<Payload>> invoke(Payload request);

  // Graceful stop (idle, shutdown): final snapshot and release when the lease is ours.
  Task<void> deactivate(DeactivationReason reason);

  ActivationState state() const { return state_; }
  const std::string& holder() const { return holder_; }
  // After a lease conflict: who holds it.
  const std::optional<persistence::LeaseRecord>& conflicting_lease() const { return conflict_; }
  uint64_t fencing_token() const { return lease_version_; }
  MonoTime last_activity() const { return last_activity_; }

  // ActorServices
  const ActorKey& key() const override { return key_; }
  uint64_t state_version() const override { return state_version_; }
  Task<Result<uint64_t>> persist_state(uint64_t expected_version) override;
  // persist_state() with the canonical bytes already computed (once per write).
  Task<Result<uint64_t>> persist_bytes(uint64_t expected_version, Bytes state);

 private:
  struct Envelope {
    Payload request;
    OneShot<Result<Payload>> reply;
  };

  bool lease_valid() const;
  // Appends one event to the node's history (actor_sym_ and holder_sym_ name this activation).
  void record(history::Payload event);
  Task<void> process_mailbox();
  Task<void> renewal_loop();
  Task<void> snapshot_loop();
  Task<void> idle_loop();
  Task<Result<void>> load_snapshot();
  // Persists if the state changed since the last persisted version.
  Task<Result<void>> persist_if_changed();
  // After a write whose outcome is unknown: adopt the store's version if it landed,
  // otherwise roll the in-memory state back to the last durable one.
  Task<void> resync_after_unknown_write();
  // Stops processing at once: fails queued calls, records, and hands the activation back
  // to the system for removal. No I/O.
  void stop(DeactivationReason reason);
  void on_lease_lapse();
  void arm_lapse_timer();
  void fail_queued(const std::string& why);

  ActorSystem& system_;
  env::Env& env_;
  const ActorKey key_;
  const KindInfo& kind_;
  const std::string holder_;
  // The actor name and holder as the recorder's Syms, interned once: every event of this
  // activation names them, and interning per event would cost a hash lookup each time.
  const history::Sym actor_sym_;
  const history::Sym holder_sym_;
  std::unique_ptr<ActorInstance> instance_;
  ActivationState state_ = ActivationState::kActivating;

  uint64_t lease_version_ = 0;
  MonoTime valid_until_{};
  env::TimerId lapse_timer_ = 0;
  std::optional<persistence::LeaseRecord> conflict_;

  uint64_t state_version_ = 0;
  int64_t created_at_ns_ = 0;
  Bytes persisted_state_;  // canonical bytes of the last persisted or loaded state
  MonoTime last_activity_{};

  std::deque<std::shared_ptr<Envelope>> mailbox_;
  std::shared_ptr<Envelope> current_;
  std::unique_ptr<OneShot<bool>> wake_;
  bool processing_ = false;
  // A state write has left (or is about to leave) for the store. A stop meanwhile must not
  // answer its call nor destroy the activation before the store's verdict is known: an
  // accepted write is durable and must be acknowledged, a rejected one is the duplicate
  // detection this activation exists to report.
  bool write_in_flight_ = false;
  bool retire_after_write_ = false;

  TaskScope scope_;  // the activation's loops; destroyed first
};

}  // namespace orbit::actor
