#include "runtime/env/planted_bugs.h"

namespace orbit::env {

std::string_view to_string(PlantedBug bug) {
  switch (bug) {
    case PlantedBug::kNoFencing: return "no_fencing";
    case PlantedBug::kValidityFromReceipt: return "validity_from_receipt";
    case PlantedBug::kNoHashVerify: return "no_hash_verify";
    case PlantedBug::kReplyBeforeFsync: return "reply_before_fsync";
    case PlantedBug::kAtLeastOnceRpc: return "at_least_once_rpc";
    case PlantedBug::kDirectoryNotRebuilt: return "directory_not_rebuilt";
    case PlantedBug::kCasIgnoresVersion: return "cas_ignores_version";
  }
  return "?";
}

// Weak: a //bugs library's strong definition replaces it in test-only binaries.
__attribute__((weak)) bool planted_bug(PlantedBug) { return false; }

}  // namespace orbit::env
