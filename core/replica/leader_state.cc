#include "core/replica/leader_state.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"

namespace gafka {

LeaderState::LeaderState(Offset initial_hw, Millis lag_time_max_ms)
    : lag_time_max_ms_(lag_time_max_ms), high_watermark_(initial_hw) {
  CHECK(lag_time_max_ms > 0);
  CHECK(initial_hw.value() >= 0);
}

void LeaderState::OnFetch(NodeId follower, Offset fetch_offset, Offset durable_offset,
                          Offset leader_end, Millis now_ms) {
  CHECK(durable_offset <= fetch_offset);
  FollowerPosition& f = followers_[follower];
  if (fetch_offset >= leader_end) {
    f.caught_up_ms = now_ms;
  } else if (f.last_fetch_ms > 0 && fetch_offset >= f.leader_end_at_fetch) {
    f.caught_up_ms = std::max(f.caught_up_ms, f.last_fetch_ms);
  }
  f.fetched = true;
  f.fetch_offset = fetch_offset;
  f.durable_offset = durable_offset;
  f.leader_end_at_fetch = leader_end;
  f.last_fetch_ms = now_ms;
}

std::vector<std::function<void(Status)>> LeaderState::Update(Offset leader_durable, Millis now_ms) {
  const Offset before = high_watermark_;
  Offset candidate = leader_durable;
  for (auto& [id, f] : followers_) {
    const bool recent = f.caught_up_ms >= 0 && now_ms - f.caught_up_ms <= lag_time_max_ms_;
    if (f.in_sync && !recent) f.in_sync = false;
    if (!f.in_sync && recent && f.durable_offset >= high_watermark_) f.in_sync = true;
    if (f.in_sync) candidate = std::min(candidate, f.durable_offset);
  }
  if (now_ms < hold_until_ms_) candidate = high_watermark_;
  high_watermark_ = std::max(high_watermark_, candidate);
  CHECK_MSG(high_watermark_ >= before, "the HW never decreases on a leader");
  std::vector<std::function<void(Status)>> ready;
  while (!waiters_.empty() && waiters_.begin()->first <= high_watermark_) {
    ready.push_back(std::move(waiters_.begin()->second));
    waiters_.erase(waiters_.begin());
  }
  return ready;
}

void LeaderState::Seed(NodeId follower, Millis caught_up_ms) {
  FollowerPosition& f = followers_[follower];
  f.caught_up_ms = caught_up_ms;
  f.last_fetch_ms = caught_up_ms;
  f.in_sync = true;
  f.fetched = false;
}

bool LeaderState::AwaitsFirstFetch() const {
  for (const auto& [id, f] : followers_) {
    if (f.in_sync && !f.fetched) return true;
  }
  return false;
}

void LeaderState::WaitFor(Offset end_offset, std::function<void(Status)> done) {
  CHECK(done != nullptr);
  waiters_.emplace(end_offset, std::move(done));
}

std::vector<std::function<void(Status)>> LeaderState::TakeAllWaiters() {
  std::vector<std::function<void(Status)>> all;
  for (auto& [offset, done] : waiters_) all.push_back(std::move(done));
  waiters_.clear();
  return all;
}

size_t LeaderState::isr_size() const {
  size_t n = 1;
  for (const auto& [id, f] : followers_) n += f.in_sync ? 1 : 0;
  return n;
}

bool LeaderState::InSync(NodeId follower) const {
  auto it = followers_.find(follower);
  return it != followers_.end() && it->second.in_sync;
}

std::vector<NodeId> LeaderState::isr_followers() const {
  std::vector<NodeId> out;
  for (const auto& [id, f] : followers_) {
    if (f.in_sync) out.push_back(id);
  }
  return out;
}

}  // namespace gafka
