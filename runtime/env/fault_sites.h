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
// Sites named "beyond.*" exceed the fault model (the promise there is detection only):
// the simulator's swarm never switches them on; a scenario must force them.
inline constexpr std::string_view kCorruptSnapshotRead = "beyond.store.corrupt_snapshot_read";

inline constexpr std::array<std::string_view, 5> kAll = {
    kStallBeforeSnapshotWrite, kDelayRenewal, kDropReplyAfterCommit, kStoreStallBeforeApply, kCorruptSnapshotRead};

}  // namespace orbit::env::sites
