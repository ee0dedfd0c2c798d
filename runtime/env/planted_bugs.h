// Planted bugs: deliberate defects that test-only binaries switch on, to prove that the
// checkers and the campaign catch real bugs (a checker that cannot fail is worthless).
//
// planted_bug() is defined weakly here to return false: every production binary links that
// definition, so no bug can be switched on at run time. The test-only libraries in
// //bugs each link a strong definition that returns true for exactly one bug; only the
// orbit_sim_bug_* binaries link them.
#pragma once

#include <array>
#include <string_view>

namespace orbit::env {

enum class PlantedBug {
  kNoFencing,              // the store accepts snapshot writes with a stale fencing token
  kValidityFromReceipt,    // lease validity counted from the reply's receipt, not the send
  kNoHashVerify,           // snapshot hashes not verified on load
  kReplyBeforeFsync,       // the log store acknowledges writes before they are fsynced
  kAtLeastOnceRpc,         // duplicated request frames are served again
  kDirectoryNotRebuilt,    // activations are not re-registered with new owners
  kCasIgnoresVersion,      // MemoryProvider's snapshot write ignores the expected version
};

std::string_view to_string(PlantedBug bug);

bool planted_bug(PlantedBug bug);

// Every place in production code where a planted bug can switch behaviour, in one table
// (like the fault sites in fault_sites.h): a reader of a file listed here knows where to
// look, and //tools/lint:layering_test checks that each site is used in the file it names
// and that production code calls nothing but planted(site).
struct PlantedSite {
  PlantedBug bug;
  std::string_view file;
  std::string_view what;  // the defect, as the broken code behaves
};

namespace bug_sites {
inline constexpr PlantedSite kStoreIgnoresFencingToken{PlantedBug::kNoFencing, "runtime/persistence/memory_provider.cc",
                                                       "accepts a snapshot write whose token is not the lease version"};
inline constexpr PlantedSite kStoreIgnoresExpectedVersion{PlantedBug::kCasIgnoresVersion,
                                                          "runtime/persistence/memory_provider.cc",
                                                          "writes a snapshot whatever version the caller expected"};
inline constexpr PlantedSite kLogAcksLeaseBeforeFsync{PlantedBug::kReplyBeforeFsync, "runtime/persistence/log_provider.cc",
                                                      "acknowledges a lease release before its fsync"};
inline constexpr PlantedSite kLogAcksSnapshotBeforeFsync{PlantedBug::kReplyBeforeFsync,
                                                         "runtime/persistence/log_provider.cc",
                                                         "acknowledges a snapshot write before its fsync"};
inline constexpr PlantedSite kRpcServesDuplicateFrames{PlantedBug::kAtLeastOnceRpc, "runtime/rpc/rpc_node.cc",
                                                       "serves a duplicated request frame a second time"};
inline constexpr PlantedSite kAcquireValidityFromReceipt{PlantedBug::kValidityFromReceipt, "runtime/actor/activation.cc",
                                                         "counts a new lease's validity from the reply, not the send"};
inline constexpr PlantedSite kRenewValidityFromReceipt{PlantedBug::kValidityFromReceipt, "runtime/actor/activation.cc",
                                                       "counts a renewal's validity from the reply, not the send"};
inline constexpr PlantedSite kLoadSkipsHashCheck{PlantedBug::kNoHashVerify, "runtime/actor/activation.cc",
                                                 "loads a snapshot without verifying its SHA-256"};
inline constexpr PlantedSite kDirectoryNotReregistered{PlantedBug::kDirectoryNotRebuilt, "runtime/actor/actor_system.cc",
                                                       "does not register active actors with their new owners"};

inline constexpr std::array kAll = {kStoreIgnoresFencingToken, kStoreIgnoresExpectedVersion, kLogAcksLeaseBeforeFsync,
                                    kLogAcksSnapshotBeforeFsync, kRpcServesDuplicateFrames, kAcquireValidityFromReceipt,
                                    kRenewValidityFromReceipt, kLoadSkipsHashCheck, kDirectoryNotReregistered};
}  // namespace bug_sites

// Whether the bug of `site` is switched on (never, outside the //bugs binaries).
inline bool planted(const PlantedSite& site) { return planted_bug(site.bug); }

}  // namespace orbit::env
