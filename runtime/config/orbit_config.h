// OrbitConfig: the settings of one Orbit node, read from TOML text.
//
// Reading files is I/O and belongs to the tools layer; this package only turns text into a
// validated OrbitConfig (parse_config) and back (to_toml). A config built in code (a
// simulator scenario) goes through the same checks with validate_config.
//
// The file format (every key optional; the defaults are the member initializers below):
//
//   [actor_management]                  # config::ActorManagementConfig (actor_management.h),
//                                       # the one struct the actor runtime also uses
//   lease_duration = "10s"              # duration string, > 0
//   lease_renewal_fraction = 0.5        # in (0, 1): renew after this fraction of the lease
//   max_clock_drift = 0.001             # in [0, 0.5): a ratio, 0.001 = 0.1% = 1000 ppm; how
//                                       # much faster or slower a node's clock may run than
//                                       # true time (kDefaultMaxClockDrift, as the scenarios)
//   safety_margin = "500ms"             # duration, >= 0
//   snapshot_interval = "5s"            # duration, > 0 (the `periodic` persistence policy)
//   idle_timeout = "1m"                 # duration, > 0
//   max_concurrent_activations = 10000  # integer >= 1
//   snapshot_retained_versions = 3      # integer in [1, 1000]
//
//   [persistence]
//   provider = "memory"                 # "memory" | "log" | "remote" | "rocksdb" (real mode only)
//   [persistence.log]                   # read whichever provider is selected
//   dir = "orbit-log"                   # non-empty path on the node's disk
//   segment_bytes = 67108864            # integer >= 1
//   group_commit_window = "0s"          # duration, >= 0; 0s syncs every write before acking it
//   [persistence.remote]
//   store_node = 7                      # node id of the storage process; required for "remote"
//   call_timeout = "2s"                 # duration, > 0
//
//   [membership]
//   seeds = [1, 2, 3]                   # node ids, distinct
//   heartbeat_interval = "1s"           # duration, > 0, < suspect_after
//   suspect_after = "5s"                # duration, > 0, < remove_after
//   remove_after = "30s"                # duration, > 0
//
//   [placement]
//   policy = "local"                    # "local" | "least_loaded" | "random"
//   vnodes_per_member = 64              # integer in [1, 4096]: hash ring points per member
//
// Durations are strings with units (runtime/config/duration.h): "250ms", "10s", "2m", "1h",
// "1m30s". Integers only; no sign.
//
// Cross-field rule (the lease safety core, DESIGN.md "Leases and fencing"): the holder trusts
// a lease for lease_duration - lease_duration * max_clock_drift - safety_margin after sending
// the request (ActorManagementConfig::lease_validity), and renews after lease_duration *
// lease_renewal_fraction (renew_after); the renewal must come strictly before the trust ends.
// The [actor_management] checks are config::validate_actor_management's (actor_management.h).
//
// Errors: every problem is kInvalidArgument with a message that starts with the source name
// and names the key by its table path, e.g.
//   "orbit.toml: actor_management.lease_renewal_fraction must be in (0, 1), got 1.5"
//   "orbit.toml: unknown key persistence.foo"        (unknown tables: "unknown table foo")
//   "orbit.toml: membership.suspect_after must be a duration string such as \"10s\", got integer"
//   "orbit.toml:3:7: invalid TOML: ..."               (syntax errors carry line:column)
// The first problem found is reported, in a fixed order, so the same text always gives the
// same message: syntax; then unknown tables; then, table by table in the order above, unknown
// keys (alphabetically) before wrong types, unparsable durations and integers out of range;
// then the value and cross-field checks of validate_config, in the order above.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/config/actor_management.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"
#include "runtime/env/transport.h"

namespace orbit::config {

enum class ProviderKind {
  kMemory,   // in-process; loses everything on a crash
  kLog,      // log-structured store over env::Disk
  kRemote,   // forwards to a storage process over the transport
  kRocksDb,  // real mode only (RocksDB on the local disk); the simulator refuses it
};
std::string_view to_string(ProviderKind kind);

struct LogProviderConfig {
  std::string dir = "orbit-log";
  uint64_t segment_bytes = uint64_t{64} << 20;
  // Writes arriving within this window share one fsync; none is acknowledged before it.
  Duration group_commit_window = Duration(0);

  friend bool operator==(const LogProviderConfig&, const LogProviderConfig&) = default;
};

struct RemoteProviderConfig {
  // Unset unless configured; validate_config requires it when the provider is "remote".
  std::optional<env::NodeId> store_node;
  Duration call_timeout = std::chrono::seconds(2);

  friend bool operator==(const RemoteProviderConfig&, const RemoteProviderConfig&) = default;
};

struct PersistenceConfig {
  ProviderKind provider = ProviderKind::kMemory;
  // Settings of every provider are kept (and checked), not only the selected one's, so
  // switching provider is a one-line change.
  LogProviderConfig log;
  RemoteProviderConfig remote;

  friend bool operator==(const PersistenceConfig&, const PersistenceConfig&) = default;
};

struct MembershipConfig {
  std::vector<env::NodeId> seeds;  // in the order written
  Duration heartbeat_interval = std::chrono::seconds(1);
  Duration suspect_after = std::chrono::seconds(5);
  Duration remove_after = std::chrono::seconds(30);

  friend bool operator==(const MembershipConfig&, const MembershipConfig&) = default;
};

enum class PlacementPolicy {
  kLocal,        // the identity owner activates the actor on itself
  kLeastLoaded,  // the owner picks the live member with the fewest activations
  kRandom,       // the owner picks a live member with the node's env::Random
};
std::string_view to_string(PlacementPolicy policy);

struct PlacementConfig {
  PlacementPolicy policy = PlacementPolicy::kLocal;
  uint32_t vnodes_per_member = 64;

  friend bool operator==(const PlacementConfig&, const PlacementConfig&) = default;
};

struct OrbitConfig {
  ActorManagementConfig actor_management;
  PersistenceConfig persistence;
  MembershipConfig membership;
  PlacementConfig placement;

  friend bool operator==(const OrbitConfig&, const OrbitConfig&) = default;
};

// Parses and validates TOML text. `source_name` (a file name, "<scenario x>") starts every
// error message. Never throws.
[[nodiscard]] Result<OrbitConfig> parse_config(std::string_view toml_text, std::string_view source_name);

// The value checks and cross-field checks of parse_config, for a config built in code. The
// messages are parse_config's ("<source_name>: <table>.<key> ...").
[[nodiscard]] Result<void> validate_config(const OrbitConfig& config, std::string_view source_name);

// Canonical TOML: every key, in the order of the format above, durations in their canonical
// spelling (format_duration), floats in the shortest form that reads back exactly. For a
// valid config, parse_config(to_toml(c), ...) gives back c.
std::string to_toml(const OrbitConfig& config);

// The same content as JSON (for report.json): the same tables and keys, durations as their
// canonical strings, store_node null when unset.
nlohmann::json to_json(const OrbitConfig& config);

}  // namespace orbit::config
