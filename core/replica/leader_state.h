// LeaderState: what a leader knows about one partition's replicas — the
// followers' positions, the in-sync replica set (ISR), the high watermark,
// and the acks=all requests waiting for it. Pure bookkeeping: no I/O, no
// timers; the ReplicaManager feeds it times and offsets. Owned by the
// ReplicaManager; loop only.
//
// Rules (docs/replication.md)
// - a follower is caught up at time t when it fetched at t from an offset >=
//   the leader's log end at t, or >= the leader's log end at its previous
//   fetch (then it counts as caught up at that previous fetch's time);
// - it is in the ISR while now - caught_up_ms <= lag_time_max_ms; it joins
//   only when caught up and its durable offset >= HW (so joining never lowers
//   the HW);
// - HW = min(leader durable, durable of each ISR follower), and never
//   decreases: high_watermark() is monotonic for the object's lifetime.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"

namespace gafka {

class LeaderState {
 public:
  // `initial_hw`: the HW to start from (the leader's durable offset when it
  // takes over: with ISR = {leader} that is what is committed).
  LeaderState(Offset initial_hw, Millis lag_time_max_ms);

  // A follower's fetch: its log end and durable end, and the leader's log end
  // now.
  void OnFetch(NodeId follower, Offset fetch_offset, Offset durable_offset, Offset leader_end,
               Millis now_ms);

  // Expires laggards, admits caught-up followers, recomputes the HW from the
  // leader's durable offset. Returns the waiters that are now committed (in
  // offset order); the caller runs them.
  std::vector<std::function<void(Status)>> Update(Offset leader_durable, Millis now_ms);

  // A new partition: `follower` may hold a promotion lease from a fetch at
  // `caught_up_ms` that covered every partition we had; until it fetches this
  // one (or that lease has run out) it counts as in sync with nothing
  // durable, so nothing here commits without it.
  void Seed(NodeId follower, Millis caught_up_ms);
  // Whether an in-sync follower was seeded and has not fetched yet.
  bool AwaitsFirstFetch() const;

  // Until `until_ms` the HW does not advance (a restarted leader whose
  // followers may still hold promotion leases from before the restart: what
  // it appended alone must not count as committed until those leases ran out).
  void HoldUntil(Millis until_ms) { hold_until_ms_ = until_ms; }

  // Registers an acks=all wait: `done` runs (through Update's result) once
  // HW >= end_offset.
  void WaitFor(Offset end_offset, std::function<void(Status)> done);
  // Removes every waiter (fencing, shutdown) so the caller can fail them.
  std::vector<std::function<void(Status)>> TakeAllWaiters();

  Offset high_watermark() const { return high_watermark_; }
  // Including the leader itself.
  size_t isr_size() const;
  bool InSync(NodeId follower) const;
  std::vector<NodeId> isr_followers() const;
  size_t waiters() const { return waiters_.size(); }

  struct FollowerPosition {
    Offset fetch_offset{0};
    Offset durable_offset{0};
    Offset leader_end_at_fetch{0};
    Millis last_fetch_ms = 0;
    Millis caught_up_ms = -1;  // -1: never
    bool in_sync = false;
    bool fetched = true;  // false: seeded, no fetch of this partition yet
  };
  const std::map<NodeId, FollowerPosition>& followers() const { return followers_; }

 private:
  Millis lag_time_max_ms_;
  Offset high_watermark_;
  Millis hold_until_ms_ = -1;
  std::map<NodeId, FollowerPosition> followers_;
  std::multimap<Offset, std::function<void(Status)>> waiters_;
};

}  // namespace gafka
