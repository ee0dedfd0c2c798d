// Every fault point (BUGGIFY site) in the runtime, by name: one list, so tools can show
// them and campaigns can prove each one fired. What each simulates: docs/RUNTIME.md.
#pragma once

#include <array>
#include <string_view>

namespace orbit::env::sites {

inline constexpr std::string_view kStallBeforeSnapshotWrite = "actor.stall_before_snapshot_write";
inline constexpr std::string_view kDelayRenewal = "actor.delay_renewal";
inline constexpr std::string_view kDropReplyAfterCommit = "rpc.drop_reply_after_commit";
inline constexpr std::string_view kStoreStallBeforeApply = "store.stall_before_apply";

inline constexpr std::array<std::string_view, 4> kAll = {
    kStallBeforeSnapshotWrite, kDelayRenewal, kDropReplyAfterCommit, kStoreStallBeforeApply};

}  // namespace orbit::env::sites
