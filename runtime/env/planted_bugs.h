// Planted bugs: deliberate defects that test-only binaries switch on, to prove that the
// checkers and the campaign catch real bugs (a checker that cannot fail is worthless).
//
// planted_bug() is defined weakly here to return false: every production binary links that
// definition, so no bug can be switched on at run time. The test-only libraries in
// //bugs each link a strong definition that returns true for exactly one bug; only the
// orbit_sim_bug_* binaries link them.
#pragma once

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

}  // namespace orbit::env
