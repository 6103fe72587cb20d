// Group commit and sealing for PartitionLog (docs/wal-format.md, "Group
// commit" and "Sealing").
//
// One chain of syncs is in flight at a time. A chain snapshots the end offset
// and the write count of every dirty segment, syncs those files oldest first
// (one File::Sync after the other), then the directory if a segment file was
// created, and then declares everything below the snapshot durable. Appends
// that arrive meanwhile are written at once and wait for the next chain, which
// starts as soon as this one ends. Oldest-first matters: recovery relies on
// "a later segment holds acknowledged data only if every earlier one was
// fully synced" to tell a torn tail from corruption.
#include <algorithm>
#include <utility>

#include "core/base/check.h"
#include "core/log/partition_log_impl.h"

namespace gafka {

using wal::Segment;

// Pending durable callbacks are dropped without a call when the log is
// destroyed: their owner is going away too (shutdown waits for them first; a
// simulated crash must not call into destroyed state). self_ expiring makes
// an in-flight sync completion a no-op.
PartitionLog::Impl::~Impl() = default;

bool PartitionLog::Impl::AnyDirty() const {
  // Everything older than a sealed segment was synced before it was sealed.
  for (auto it = segments_.rbegin(); it != segments_.rend() && !it->second->sealed(); ++it) {
    if (it->second->dirty()) return true;
  }
  return false;
}

void PartitionLog::Impl::MaybeStartChain() {
  if (chain_.active || !failed_.ok()) return;
  if (AnyDirty() || dir_dirty_) StartChain();
}

void PartitionLog::Impl::StartChain() {
  CHECK(!chain_.active);
  CHECK(failed_.ok());
  chain_ = Chain{};
  chain_.active = true;
  chain_.target = end_;
  chain_.sync_dir = dir_dirty_;
  dir_dirty_ = false;
  for (auto it = segments_.rbegin(); it != segments_.rend() && !it->second->sealed(); ++it) {
    Segment& segment = *it->second;
    if (segment.dirty()) chain_.steps.push_back({&segment, segment.writes(), segment.log_path()});
  }
  std::reverse(chain_.steps.begin(), chain_.steps.end());  // oldest first
  CHECK(!chain_.steps.empty() || chain_.sync_dir);
  ContinueChain();
}

void PartitionLog::Impl::ContinueChain() {
  CHECK(chain_.active);
  CHECK(chain_.next <= chain_.steps.size());
  while (chain_.next < chain_.steps.size()) {
    if (chain_.steps[chain_.next].segment != nullptr) {
      IssueSync(*chain_.steps[chain_.next].segment);
      return;
    }
    ++chain_.next;  // removed by Truncate meanwhile
  }
  if (chain_.sync_dir) {
    Status s = env_.disk.SyncDir(dir_);
    if (!s.ok()) {
      chain_ = Chain{};
      Fail(Status(s.code(), "sync of directory " + dir_ + " failed: " + s.message()));
      return;
    }
  }
  FinishChain();
}

void PartitionLog::Impl::IssueSync(Segment& segment) {
  CHECK(chain_.active);
  CHECK(self_ != nullptr && *self_ == this);
  segment.file().Sync([self = std::weak_ptr<Impl*>(self_)](Status status) {
    if (std::shared_ptr<Impl*> log = self.lock()) (*log)->OnStepSynced(std::move(status));
  });
}

void PartitionLog::Impl::OnStepSynced(Status status) {
  CHECK(chain_.active);
  CHECK(chain_.next < chain_.steps.size());
  if (!failed_.ok()) {  // failed meanwhile (corruption found by a read)
    chain_ = Chain{};
    return;
  }
  const ChainStep& step = chain_.steps[chain_.next];
  if (!status.ok()) {
    Status s(status.code(), "sync of " + step.path + " failed: " + status.message());
    chain_ = Chain{};
    Fail(std::move(s));
    return;
  }
  if (step.segment != nullptr) step.segment->MarkSynced(step.writes);
  ++chain_.next;
  ContinueChain();
}

void PartitionLog::Impl::FinishChain() {
  CHECK(chain_.active);
  CHECK(chain_.target <= end_);
  durable_ = std::max(durable_, chain_.target);
  chain_ = Chain{};
  SealRolled();
  std::vector<Waiter> ready;
  while (!waiters_.empty() && waiters_.front().end <= durable_) {
    ready.push_back(std::move(waiters_.front()));
    waiters_.pop_front();
  }
  // Start the next chain before calling back, so appends made from inside a
  // callback simply join it.
  MaybeStartChain();
  for (const Waiter& w : ready) w.done(Status::Ok());
}

// Seals rolled segments, oldest first, once their data is synced. A seal
// that fails is logged and not retried: the segment is then only scanned on
// recovery, which is slower but just as correct.
void PartitionLog::Impl::SealRolled() {
  while (!to_seal_.empty()) {
    auto it = segments_.find(to_seal_.front());
    if (it == segments_.end() || it->second->sealed()) {
      to_seal_.pop_front();
      continue;
    }
    Segment& segment = *it->second;
    if (&segment == &active()) {  // truncated back into: active again
      to_seal_.pop_front();
      continue;
    }
    if (segment.dirty()) return;
    to_seal_.pop_front();
    Status s = segment.Seal(env_.disk);
    if (!s.ok()) {
      env_.logger.Log(LogLevel::kWarn, "seal of " + segment.log_path() + ": " + s.ToString());
    }
  }
}

void PartitionLog::Impl::ForgetSegment(const Segment* segment) {
  CHECK(segment != nullptr);
  for (ChainStep& step : chain_.steps) {
    if (step.segment == segment) step.segment = nullptr;
  }
  const Offset base = segment->base_offset();
  to_seal_.erase(std::remove(to_seal_.begin(), to_seal_.end(), base), to_seal_.end());
}

// Permanent: the kernel may have dropped the pages a failed sync covered
// (fsyncgate), and a read may have found corruption. Every pending durable
// callback gets the error (deferred, never inside the caller's call).
void PartitionLog::Impl::Fail(Status status) {
  CHECK(!status.ok());
  if (!failed_.ok()) return;  // the first failure is the one reported
  failed_ = std::move(status);
  env_.logger.Log(LogLevel::kError, "log " + dir_ + " failed: " + failed_.ToString());
  if (waiters_.empty()) return;
  std::vector<Waiter> pending(std::make_move_iterator(waiters_.begin()),
                              std::make_move_iterator(waiters_.end()));
  waiters_.clear();
  env_.clock.After(0, [pending = std::move(pending), status = failed_]() {
    for (const Waiter& w : pending) w.done(status);
  });
}

// After recovery: what was found on disk may sit only in the page cache (a
// killed process, not a power loss). Sync the unsealed tail before serving
// it as durable, then seal every complete unsealed segment but the last.
Status PartitionLog::Impl::MakeTailDurable() {
  CHECK(!segments_.empty());
  CHECK(failed_.ok());
  for (auto it = segments_.rbegin(); it != segments_.rend() && !it->second->sealed(); ++it) {
    GAFKA_RETURN_IF_ERROR(it->second->file().SyncNow());
  }
  for (auto& [base, segment] : segments_) {
    if (segment->sealed() || segment.get() == &active()) continue;
    Status s = segment->Seal(env_.disk);
    if (!s.ok()) {
      env_.logger.Log(LogLevel::kWarn, "seal of " + segment->log_path() + ": " + s.ToString());
    }
  }
  return Status::Ok();
}

}  // namespace gafka
