// SimDisk implementation notes (the contract is in sim_disk.h).
//
// Files and directories are inodes ("nodes") keyed by a stable id, so a
// rename moves one entry and a directory's children move with it, as on a
// real file system. Iteration is always over std::map in key order, so the
// seeded random draws happen in the same order on every run.
//
// File contents. A file node holds `data` (what reads see) and `durable`
// (what survives power loss), plus `common`: data[0, common) is known equal to
// durable[0, common). Appends never lower `common`; Truncate lowers it to the
// new size. A Sync snapshots the file lazily: it records the size at the call
// and how much of that prefix is still untouched (`stable`); if a later
// Truncate cuts into the snapshot, the cut bytes are saved first. On
// completion durable := snapshot, copying only the bytes that changed. So a
// sync costs O(unsynced bytes), like a real fsync.
//
// Syncs of one file complete in call order (their deadlines never decrease),
// and a sync only advances `durable` if it is newer than the last applied
// one (SyncNow may have overtaken it).
//
// Directory entries. Each directory keeps current and durable entries.
// Every create/remove/rename/mkdir appends one DirOp (its entry changes,
// applied together) to an ordered log of unsynced changes. Invariant: a
// directory's durable entries with its unsynced changes replayed in order are
// its current entries. SyncDir(d) makes d's entries durable by applying d's
// changes to its durable entries and dropping them from the log, so it costs
// O(unsynced changes), not O(entries in d). On Crash, a prefix
// of the remaining log is replayed on top of the durable entries, as a
// journaling file system commits metadata in order; a rename whose two sides
// are both unsynced is therefore all-or-nothing. Nodes that end unreachable
// from the root are gone.
//
// Truncate below the durable size, then crash before a sync: the result is,
// at random, either the old durable contents (the truncate never reached the
// disk, and nothing written after it did either) or the truncated prefix with
// the tail model applied to whatever was appended after it. Both are states a
// real file system can leave; recovery code must cope with either.
//
// Garbage collection is by reference counts, so a SyncDir never walks the
// whole namespace (which made a run that rolls thousands of segments
// quadratic). A node is held by: current entries naming it (`links`), durable
// entries naming it (`durable_refs`), unsynced changes naming it as directory
// or child (`op_refs`), open files, syncs in flight. Whenever one of these is
// released the node becomes a GC candidate; SyncDir collects the candidates
// that nothing holds any more (and, transitively, what only they named). A
// cycle of unreachable directories (possible only through odd renames) is not
// collected until the next Crash(), which rebuilds the namespace from the
// root; nothing can observe it meanwhile.
#include "runtime-sim/sim_disk.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "core/base/check.h"

namespace gafka::sim {

namespace {

constexpr uint64_t kRootId = 1;

struct PendingSync {
  uint64_t length = 0;  // file size when Sync was called
  uint64_t stable = 0;  // data[0, stable) unchanged since the call
  std::string saved;    // the snapshot's bytes [stable, length), cut away since
};

struct DirEffect {
  uint64_t dir = 0;
  std::string name;
  std::optional<uint64_t> child;  // nullopt: the entry is removed
};

struct DirOp {
  std::vector<DirEffect> effects;
};

// "a//b/", "/a/b" and "a/b" are the same path; "" and "/" are the root.
std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

struct SimDisk::Node {
  uint64_t id = 0;
  bool is_dir = false;
  uint32_t links = 0;         // current directory entries naming this node
  uint32_t durable_refs = 0;  // durable directory entries naming this node
  uint32_t op_refs = 0;       // unsynced changes naming it (as directory or child)
  uint32_t open_files = 0;    // live File objects on it
  // Files.
  std::string data;
  std::string durable;
  uint64_t common = 0;
  std::map<uint64_t, PendingSync> pending_syncs;  // by sync generation
  uint64_t sync_generation = 0;                   // last one issued
  uint64_t durable_generation = 0;                // last one applied
  Millis last_sync_deadline_ms = 0;
  bool sync_failed = false;
  // Directories.
  std::map<std::string, uint64_t> entries;
  std::map<std::string, uint64_t> durable_entries;
};

namespace {

// Space is charged for files that are named or open (an unlinked open file
// still holds its blocks, as on POSIX).
uint64_t ChargedBytes(const SimDisk::Node& n) {
  return (!n.is_dir && (n.links > 0 || n.open_files > 0)) ? n.data.size() : 0;
}

}  // namespace

class SimFile;

struct SimDisk::State {
  State(SimClock& c, const DiskFaults& f, SimDisk::Stats& s, uint64_t seed)
      : clock(c),
        faults(f),
        stats(s),
        fault_rng(Rng(seed).Fork("sim_disk/faults")),
        latency_rng(Rng(seed).Fork("sim_disk/latency")),
        crash_rng(Rng(seed).Fork("sim_disk/crash")) {
    Node& root = nodes[kRootId];
    root.id = kRootId;
    root.is_dir = true;
    root.links = 1;
  }

  SimClock& clock;
  const DiskFaults& faults;
  SimDisk::Stats& stats;
  Rng fault_rng;
  Rng latency_rng;
  Rng crash_rng;
  std::map<uint64_t, Node> nodes;
  uint64_t next_node_id = kRootId + 1;
  std::vector<DirOp> dir_ops;               // unsynced directory changes, in order
  std::vector<uint64_t> gc_candidates;      // nodes that lost a reference since the last Gc
  std::map<uint64_t, SimFile*> open_files;  // by handle id
  uint64_t next_handle = 1;
  std::map<uint64_t, TimerId> timers;  // in-flight sync completions, by token
  uint64_t next_token = 1;
  uint64_t used = 0;

  Node* Find(uint64_t id) {
    auto it = nodes.find(id);
    return it == nodes.end() ? nullptr : &it->second;
  }
  Node& Get(uint64_t id) {
    Node* n = Find(id);
    CHECK_MSG(n != nullptr, "SimDisk: dangling node id");
    return *n;
  }

  // Applies `change` to node `id`, keeping `used` equal to the charged bytes.
  template <typename F>
  void Charge(uint64_t id, F change) {
    Node& n = Get(id);
    const uint64_t before = ChargedBytes(n);
    change(n);
    CHECK(used >= before);
    used = used - before + ChargedBytes(n);
  }

  uint64_t NewNode(bool is_dir) {
    const uint64_t id = next_node_id++;
    Node& n = nodes[id];
    n.id = id;
    n.is_dir = is_dir;
    return id;
  }

  std::optional<uint64_t> Resolve(const std::vector<std::string>& parts, size_t count) {
    CHECK(count <= parts.size());
    uint64_t id = kRootId;
    for (size_t i = 0; i < count; ++i) {
      const Node& dir = Get(id);
      if (!dir.is_dir) return std::nullopt;
      auto it = dir.entries.find(parts[i]);
      if (it == dir.entries.end()) return std::nullopt;
      id = it->second;
    }
    return id;
  }
  std::optional<uint64_t> Resolve(const std::string& path) {
    const auto parts = SplitPath(path);
    return Resolve(parts, parts.size());
  }

  // The directory that holds `path`'s entry, and the entry's name.
  Result<std::pair<uint64_t, std::string>> ParentOf(const std::string& path) {
    const auto parts = SplitPath(path);
    if (parts.empty()) return InvalidArgument("the root has no parent: '" + path + "'");
    const auto parent = Resolve(parts, parts.size() - 1);
    if (!parent) return NotFound("no such directory for '" + path + "'");
    if (!Get(*parent).is_dir) return InvalidArgument("not a directory in '" + path + "'");
    return std::make_pair(*parent, parts.back());
  }

  // Changes one current entry and records the change in `op`.
  void SetEntry(uint64_t dir_id, const std::string& name, std::optional<uint64_t> child,
                DirOp* op) {
    CHECK(Get(dir_id).is_dir);
    CHECK(!name.empty());
    if (child) Charge(*child, [](Node& n) { ++n.links; });
    auto& entries = Get(dir_id).entries;
    auto it = entries.find(name);
    if (it != entries.end()) {
      const uint64_t old = it->second;
      entries.erase(it);
      Charge(old, [](Node& n) { --n.links; });
      gc_candidates.push_back(old);
    }
    if (child) entries[name] = *child;
    op->effects.push_back(DirEffect{dir_id, name, child});
    ++Get(dir_id).op_refs;
    if (child) ++Get(*child).op_refs;
  }

  // An unsynced change leaves the log: it no longer holds its nodes.
  void ReleaseEffect(const DirEffect& e) {
    for (const std::optional<uint64_t> id : {std::optional<uint64_t>(e.dir), e.child}) {
      if (!id) continue;
      Node& n = Get(*id);
      CHECK(n.op_refs > 0);
      --n.op_refs;
      gc_candidates.push_back(*id);
    }
  }

  // Sets (child) or removes (nullopt) one durable entry of `dir_id`.
  void SetDurableEntry(uint64_t dir_id, const std::string& name, std::optional<uint64_t> child) {
    auto& durable = Get(dir_id).durable_entries;
    auto it = durable.find(name);
    if (it != durable.end()) {
      if (child && it->second == *child) return;
      Node& old = Get(it->second);
      CHECK(old.durable_refs > 0);
      --old.durable_refs;
      gc_candidates.push_back(it->second);
      durable.erase(it);
    }
    if (child) {
      durable[name] = *child;
      ++Get(*child).durable_refs;
    }
  }

  bool Held(const Node& n) const {
    return n.id == kRootId || n.links > 0 || n.durable_refs > 0 || n.op_refs > 0 ||
           n.open_files > 0 || !n.pending_syncs.empty();
  }

  TimerId Schedule(Millis delay_ms, std::function<void(uint64_t token)> fn) {
    const uint64_t token = next_token++;
    const TimerId id = clock.After(delay_ms, [this, token, fn = std::move(fn)] {
      const size_t erased = timers.erase(token);
      CHECK(erased == 1);
      fn(token);
    });
    timers[token] = id;
    return id;
  }

  // File operations (the File object checked it is alive).
  Status Append(uint64_t id, ByteView bytes);
  void Sync(uint64_t id, std::function<void(Status)> done);
  Status SyncNow(uint64_t id);
  void CompleteSync(uint64_t id, uint64_t generation, const std::function<void(Status)>& done);
  Status Truncate(uint64_t id, uint64_t size);

  void Gc();
  void CrashNamespace();
  std::string CrashContents(Node& n);
  std::string Tear(const std::string& data, uint64_t base);
  void KillAllFiles();
  void CancelAllTimers();
};

// ---------------------------------------------------------------------------
// SimFile: one open file. Dies on Crash() (and when the disk is destroyed):
// afterwards every operation fails with kIoError and Size() is frozen.

class SimFile final : public File {
 public:
  SimFile(SimDisk::State* state, uint64_t node_id, uint64_t handle, std::string path)
      : state_(state),
        clock_(state->clock),
        node_id_(node_id),
        handle_(handle),
        path_(std::move(path)) {
    CHECK(state_ != nullptr);
    state_->open_files[handle_] = this;
    state_->Charge(node_id_, [](SimDisk::Node& n) { ++n.open_files; });
    CHECK(state_->Get(node_id_).open_files > 0);
  }
  ~SimFile() override {
    if (state_ == nullptr) return;
    state_->open_files.erase(handle_);
    state_->Charge(node_id_, [](SimDisk::Node& n) {
      CHECK(n.open_files > 0);
      --n.open_files;
    });
    state_->gc_candidates.push_back(node_id_);
  }

  const std::string& path() const override { return path_; }

  Status Append(ByteView data) override {
    if (state_ == nullptr) return Dead();
    return state_->Append(node_id_, data);
  }
  void Sync(std::function<void(Status)> done) override {
    CHECK(done != nullptr);
    if (state_ == nullptr) {
      // Never re-entrant: even the failure of a dead file arrives later.
      clock_.After(0, [done = std::move(done), path = path_] {
        done(IoError("file died in a crash: " + path));
      });
      return;
    }
    state_->Sync(node_id_, std::move(done));
  }
  Status SyncNow() override {
    if (state_ == nullptr) return Dead();
    return state_->SyncNow(node_id_);
  }
  Status Read(uint64_t offset, size_t n, std::string* out) override {
    CHECK(out != nullptr);
    out->clear();
    if (state_ == nullptr) return Dead();
    if (state_->fault_rng.Chance(state_->faults.read_eio)) {
      ++state_->stats.read_failures;
      return IoError("injected read EIO: " + path_);
    }
    const std::string& data = state_->Get(node_id_).data;
    if (offset < data.size()) {
      out->assign(data, offset, std::min<uint64_t>(n, data.size() - offset));
    }
    CHECK(out->size() <= n);
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    if (state_ == nullptr) return Dead();
    return state_->Truncate(node_id_, size);
  }
  uint64_t Size() const override {
    return state_ == nullptr ? size_at_death_ : state_->Get(node_id_).data.size();
  }

  // Called by the disk on Crash() or destruction; the node may be gone after.
  void Kill() {
    CHECK(state_ != nullptr);
    size_at_death_ = state_->Get(node_id_).data.size();
    state_ = nullptr;
  }

 private:
  Status Dead() const { return IoError("file died in a crash: " + path_); }

  SimDisk::State* state_;  // null once dead
  SimClock& clock_;
  const uint64_t node_id_;
  const uint64_t handle_;
  const std::string path_;
  uint64_t size_at_death_ = 0;
};

// ---------------------------------------------------------------------------
// File operations.

Status SimDisk::State::Append(uint64_t id, ByteView bytes) {
  ++stats.appends;
  Node& n = Get(id);
  CHECK(!n.is_dir);
  Status failure;
  if (fault_rng.Chance(faults.append_eio)) {
    failure = IoError("injected append EIO");
  } else if (fault_rng.Chance(faults.append_enospc) ||
             bytes.size() > faults.capacity_bytes - std::min(used, faults.capacity_bytes)) {
    failure = NoSpace("disk full");
  }
  if (!failure.ok()) {
    ++stats.append_failures;
    return failure;
  }
  const uint64_t size_before = n.data.size();
  Charge(id, [&](Node& node) { node.data.append(bytes); });
  CHECK(n.data.size() == size_before + bytes.size());
  return Status::Ok();
}

void SimDisk::State::Sync(uint64_t id, std::function<void(Status)> done) {
  ++stats.syncs;
  Node& n = Get(id);
  CHECK(!n.is_dir);
  const uint64_t generation = ++n.sync_generation;
  n.pending_syncs[generation] = PendingSync{n.data.size(), n.data.size(), {}};
  CHECK(faults.sync_latency_min_ms <= faults.sync_latency_max_ms);
  const Millis latency_ms =
      latency_rng.Range(faults.sync_latency_min_ms, faults.sync_latency_max_ms);
  // One file's syncs complete in call order (same deadline: sequence order).
  const Millis deadline_ms = std::max(clock.NowMs() + latency_ms, n.last_sync_deadline_ms);
  n.last_sync_deadline_ms = deadline_ms;
  Schedule(deadline_ms - clock.NowMs(), [this, id, generation, done = std::move(done)](uint64_t) {
    CompleteSync(id, generation, done);
  });
}

void SimDisk::State::CompleteSync(uint64_t id, uint64_t generation,
                                  const std::function<void(Status)>& done) {
  CHECK(generation > 0);
  Node* node = Find(id);
  auto it = node ? node->pending_syncs.find(generation) : decltype(node->pending_syncs.end()){};
  if (node == nullptr || it == node->pending_syncs.end()) {
    // WriteWhole replaced the contents durably meanwhile (and the node may
    // have been unlinked and collected since): nothing is left to make durable.
    CHECK(node == nullptr || generation <= node->durable_generation);
    done(Status::Ok());
    return;
  }
  Node& n = *node;
  const PendingSync sync = std::move(it->second);
  n.pending_syncs.erase(it);
  if (n.pending_syncs.empty()) gc_candidates.push_back(id);
  if (!n.sync_failed && fault_rng.Chance(faults.sync_eio)) n.sync_failed = true;
  if (n.sync_failed) {
    ++stats.sync_failures;
    done(IoError("fsync failed (permanent for this file)"));
    return;
  }
  if (generation > n.durable_generation) {
    CHECK(sync.stable <= n.data.size());
    CHECK(sync.stable + sync.saved.size() == sync.length);
    const uint64_t keep = std::min<uint64_t>(n.common, sync.stable);
    n.durable.resize(keep);
    n.durable.append(n.data, keep, sync.stable - keep);
    n.durable += sync.saved;
    n.common = sync.stable;
    n.durable_generation = generation;
  }
  done(Status::Ok());
}

Status SimDisk::State::SyncNow(uint64_t id) {
  ++stats.syncs;
  Node& n = Get(id);
  CHECK(!n.is_dir);
  if (!n.sync_failed && fault_rng.Chance(faults.sync_eio)) n.sync_failed = true;
  if (n.sync_failed) {
    ++stats.sync_failures;
    return IoError("fsync failed (permanent for this file)");
  }
  n.durable.resize(n.common);
  n.durable.append(n.data, n.common, n.data.size() - n.common);
  n.common = n.data.size();
  n.durable_generation = ++n.sync_generation;
  CHECK(n.durable == n.data);
  return Status::Ok();
}

Status SimDisk::State::Truncate(uint64_t id, uint64_t size) {
  Node& n = Get(id);
  CHECK(!n.is_dir);
  if (size > n.data.size()) return InvalidArgument("truncate beyond the end of the file");
  // Pending syncs must still make their snapshot durable: save what we cut.
  for (auto& [generation, sync] : n.pending_syncs) {
    if (sync.stable <= size) continue;
    sync.saved = n.data.substr(size, sync.stable - size) + sync.saved;
    sync.stable = size;
    CHECK(sync.stable + sync.saved.size() == sync.length);
  }
  n.common = std::min<uint64_t>(n.common, size);
  Charge(id, [size](Node& node) { node.data.resize(size); });
  CHECK(n.data.size() == size);
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Garbage collection and the crash model.

// Drops the candidates nothing holds any more (see the top of this file),
// then whatever only they named. Nodes nothing holds are unreachable: not
// named by a current or durable entry, not named by an unsynced change that a
// crash could replay, not open, no sync in flight.
void SimDisk::State::Gc() {
  while (!gc_candidates.empty()) {
    const uint64_t id = gc_candidates.back();
    gc_candidates.pop_back();
    auto it = nodes.find(id);
    if (it == nodes.end() || Held(it->second)) continue;
    Node& n = it->second;
    // A directory loses its last name only when empty, but its durable
    // entries (and, defensively, current ones) still name children.
    for (const auto& [name, child] : n.entries) {
      Charge(child, [](Node& c) { --c.links; });
      gc_candidates.push_back(child);
    }
    for (const auto& [name, child] : n.durable_entries) {
      Node& c = Get(child);
      CHECK(c.durable_refs > 0);
      --c.durable_refs;
      gc_candidates.push_back(child);
    }
    CHECK(ChargedBytes(n) == 0);
    nodes.erase(it);
  }
  CHECK(nodes.count(kRootId) == 1);
}

// Rebuilds every directory from its durable entries plus a replayed prefix
// of the unsynced changes, then keeps only what the root reaches.
void SimDisk::State::CrashNamespace() {
  const size_t total = dir_ops.size();
  size_t replay = total;
  if (total > 0 && crash_rng.Chance(faults.crash_lose_dir_change)) {
    replay = crash_rng.Uniform(total);
  }
  stats.lost_dir_changes += total - replay;
  for (auto& [id, n] : nodes) {
    if (n.is_dir) n.entries = n.durable_entries;
    n.links = 0;
    n.open_files = 0;
  }
  for (size_t i = 0; i < replay; ++i) {
    for (const auto& e : dir_ops[i].effects) {
      auto& entries = Get(e.dir).entries;
      if (e.child) {
        entries[e.name] = *e.child;
      } else {
        entries.erase(e.name);
      }
    }
  }
  dir_ops.clear();
  // Reachability; a directory reached twice (possible only through odd
  // partial replays) keeps its first name.
  std::set<uint64_t> reached{kRootId};
  std::vector<uint64_t> work{kRootId};
  Get(kRootId).links = 1;
  while (!work.empty()) {
    Node& dir = Get(work.back());
    work.pop_back();
    for (auto it = dir.entries.begin(); it != dir.entries.end();) {
      Node& child = Get(it->second);
      if (child.is_dir && reached.count(child.id) > 0) {
        it = dir.entries.erase(it);
        continue;
      }
      ++child.links;
      if (reached.insert(child.id).second && child.is_dir) work.push_back(child.id);
      ++it;
    }
    dir.durable_entries = dir.entries;
  }
  for (auto it = nodes.begin(); it != nodes.end();) {
    it = reached.count(it->first) > 0 ? std::next(it) : nodes.erase(it);
  }
  CHECK(nodes.size() == reached.size());
  // Reference counts from scratch: no unsynced changes are left, and every
  // directory's durable entries are its current ones.
  gc_candidates.clear();
  for (auto& [id, n] : nodes) n.durable_refs = n.op_refs = 0;
  for (auto& [id, n] : nodes) {
    for (const auto& [name, child] : n.durable_entries) ++Get(child).durable_refs;
  }
}

// What one file holds after power loss (see the header for the model).
std::string SimDisk::State::CrashContents(Node& n) {
  CHECK(n.common <= n.data.size() && n.common <= n.durable.size());
  uint64_t base = n.durable.size();
  if (n.common < n.durable.size()) {
    // An unsynced truncate below the durable size: it may not have happened.
    if (crash_rng.Chance(0.5)) {
      ++stats.dropped_tails;
      return n.durable;
    }
    base = n.common;
  }
  if (base == n.data.size()) return n.data;  // nothing unsynced beyond base
  const double roll = crash_rng.NextDouble();
  if (roll < faults.crash_drop_tail) {
    ++stats.dropped_tails;
    return n.data.substr(0, base);
  }
  if (roll < faults.crash_drop_tail + faults.crash_keep_tail) {
    ++stats.kept_tails;
    return n.data;
  }
  ++stats.torn_tails;
  return Tear(n.data, base);
}

// Keeps data[0, cut) where cut is `base` or a sector/page boundary inside the
// unsynced tail, then optionally garbage (zeros or random bytes) up to the
// next boundary, never past the written size.
std::string SimDisk::State::Tear(const std::string& data, uint64_t base) {
  CHECK(base < data.size());
  const uint64_t unit = crash_rng.Chance(0.5) ? 512 : 4096;
  const uint64_t first = (base / unit + 1) * unit;
  const uint64_t boundaries = data.size() > first ? (data.size() - 1 - first) / unit + 1 : 0;
  const uint64_t pick = crash_rng.Uniform(boundaries + 1);
  const uint64_t cut = pick == 0 ? base : first + (pick - 1) * unit;
  CHECK(cut >= base && cut < data.size());
  std::string out = data.substr(0, cut);
  if (crash_rng.Chance(faults.crash_tear_garbage)) {
    const uint64_t end = std::min<uint64_t>((cut / unit + 1) * unit, data.size());
    const bool zeros = crash_rng.Chance(0.5);
    for (uint64_t i = cut; i < end; ++i) {
      out.push_back(zeros ? '\0' : static_cast<char>(crash_rng.Next() & 0xFF));
    }
  }
  CHECK(out.size() <= data.size());
  return out;
}

void SimDisk::State::KillAllFiles() {
  for (auto& [handle, file] : open_files) file->Kill();
  open_files.clear();
}

void SimDisk::State::CancelAllTimers() {
  for (const auto& [token, id] : timers) clock.Cancel(id);
  timers.clear();
}

// ---------------------------------------------------------------------------
// SimDisk.

SimDisk::SimDisk(SimClock& clock, uint64_t seed, DiskFaults faults)
    : clock_(clock),
      faults_(faults),
      state_(std::make_unique<State>(clock, faults_, stats_, seed)) {
  CHECK(faults_.sync_latency_min_ms >= 0);
  CHECK(faults_.sync_latency_min_ms <= faults_.sync_latency_max_ms);
}

SimDisk::~SimDisk() {
  state_->KillAllFiles();
  state_->CancelAllTimers();
}

Result<std::unique_ptr<File>> SimDisk::Open(const std::string& path, OpenMode mode) {
  State& s = *state_;
  GAFKA_ASSIGN_OR_RETURN(auto parent, s.ParentOf(path));
  const auto& entries = s.Get(parent.first).entries;
  auto it = entries.find(parent.second);
  std::optional<uint64_t> id;
  if (it != entries.end()) {
    if (s.Get(it->second).is_dir) return InvalidArgument("is a directory: " + path);
    if (mode == OpenMode::kCreateNew) return AlreadyExists("file exists: " + path);
    id = it->second;
  } else if (mode == OpenMode::kOpenExisting) {
    return NotFound("no such file: " + path);
  }
  if (!id) {
    id = s.NewNode(/*is_dir=*/false);
    DirOp op;
    s.SetEntry(parent.first, parent.second, *id, &op);
    s.dir_ops.push_back(std::move(op));
  }
  auto file = std::make_unique<SimFile>(&s, *id, s.next_handle++, path);
  if (mode == OpenMode::kTruncate) GAFKA_RETURN_IF_ERROR(s.Truncate(*id, 0));
  CHECK(s.Get(*id).open_files > 0);
  return std::unique_ptr<File>(std::move(file));
}

Result<std::vector<std::string>> SimDisk::List(const std::string& dir) {
  const auto id = state_->Resolve(dir);
  if (!id) return NotFound("no such directory: " + dir);
  const Node& n = state_->Get(*id);
  if (!n.is_dir) return InvalidArgument("not a directory: " + dir);
  std::vector<std::string> names;
  names.reserve(n.entries.size());
  for (const auto& [name, child] : n.entries) names.push_back(name);
  CHECK(std::is_sorted(names.begin(), names.end()));
  return names;
}

bool SimDisk::Exists(const std::string& path) { return state_->Resolve(path).has_value(); }

Status SimDisk::MakeDirs(const std::string& dir) {
  State& s = *state_;
  const auto parts = SplitPath(dir);
  uint64_t id = kRootId;
  for (const auto& part : parts) {
    auto& entries = s.Get(id).entries;
    auto it = entries.find(part);
    if (it != entries.end()) {
      if (!s.Get(it->second).is_dir) return InvalidArgument("not a directory in: " + dir);
      id = it->second;
      continue;
    }
    const uint64_t child = s.NewNode(/*is_dir=*/true);
    DirOp op;
    s.SetEntry(id, part, child, &op);
    s.dir_ops.push_back(std::move(op));
    id = child;
  }
  CHECK(s.Get(id).is_dir);
  return Status::Ok();
}

Status SimDisk::Remove(const std::string& path) {
  State& s = *state_;
  GAFKA_ASSIGN_OR_RETURN(auto parent, s.ParentOf(path));
  const auto& entries = s.Get(parent.first).entries;
  auto it = entries.find(parent.second);
  if (it == entries.end()) return NotFound("no such file or directory: " + path);
  const Node& n = s.Get(it->second);
  if (n.is_dir && !n.entries.empty()) return InvalidArgument("directory not empty: " + path);
  DirOp op;
  s.SetEntry(parent.first, parent.second, std::nullopt, &op);
  s.dir_ops.push_back(std::move(op));
  CHECK(!Exists(path));
  return Status::Ok();
}

Status SimDisk::Rename(const std::string& from, const std::string& to) {
  State& s = *state_;
  GAFKA_ASSIGN_OR_RETURN(auto src, s.ParentOf(from));
  GAFKA_ASSIGN_OR_RETURN(auto dst, s.ParentOf(to));
  const auto from_id = s.Resolve(from);
  if (!from_id) return NotFound("no such file or directory: " + from);
  const auto to_id = s.Resolve(to);
  if (to_id == from_id) return Status::Ok();  // same entry or same file: POSIX no-op
  const bool from_is_dir = s.Get(*from_id).is_dir;
  if (to_id) {
    const Node& target = s.Get(*to_id);
    if (target.is_dir != from_is_dir) return InvalidArgument("rename between file and directory");
    if (target.is_dir && !target.entries.empty()) {
      return InvalidArgument("rename target not empty: " + to);
    }
  }
  if (from_is_dir) {
    const auto from_parts = SplitPath(from);
    const auto to_parts = SplitPath(to);
    if (to_parts.size() > from_parts.size() &&
        std::equal(from_parts.begin(), from_parts.end(), to_parts.begin())) {
      return InvalidArgument("cannot move a directory into itself: " + to);
    }
  }
  DirOp op;  // one change: a crash keeps both sides or neither (if both unsynced)
  s.SetEntry(dst.first, dst.second, *from_id, &op);
  s.SetEntry(src.first, src.second, std::nullopt, &op);
  s.dir_ops.push_back(std::move(op));
  CHECK(s.Resolve(to) == from_id);
  CHECK(!Exists(from));
  return Status::Ok();
}

Status SimDisk::SyncDir(const std::string& dir) {
  State& s = *state_;
  const auto id = s.Resolve(dir);
  if (!id) return NotFound("no such directory: " + dir);
  Node& n = s.Get(*id);
  if (!n.is_dir) return InvalidArgument("not a directory: " + dir);
  // Replaying d's unsynced changes on its durable entries yields its current
  // entries (the invariant at the top of this file).
  for (auto& op : s.dir_ops) {
    std::erase_if(op.effects, [&](const DirEffect& e) {
      if (e.dir != *id) return false;
      s.SetDurableEntry(e.dir, e.name, e.child);
      s.ReleaseEffect(e);
      return true;
    });
  }
  std::erase_if(s.dir_ops, [](const DirOp& op) { return op.effects.empty(); });
  s.Gc();
  CHECK(s.Get(*id).durable_entries.size() == s.Get(*id).entries.size());
  return Status::Ok();
}

void SimDisk::Crash() {
  State& s = *state_;
  ++stats_.crashes;
  s.CancelAllTimers();  // in-flight syncs never complete: their process is gone
  s.KillAllFiles();
  s.CrashNamespace();
  s.used = 0;
  for (auto& [id, n] : s.nodes) {
    if (n.is_dir) continue;
    n.data = s.CrashContents(n);
    n.durable = n.data;
    n.common = n.data.size();
    n.pending_syncs.clear();
    n.sync_generation = n.durable_generation = 0;
    n.last_sync_deadline_ms = 0;
    n.sync_failed = false;  // a fresh boot: the page cache's error state is gone
    s.used += ChargedBytes(n);
  }
  CHECK(s.open_files.empty() && s.timers.empty() && s.dir_ops.empty());
}

Result<std::string> SimDisk::ReadWhole(const std::string& path) const {
  const auto id = state_->Resolve(path);
  if (!id) return NotFound("no such file: " + path);
  const Node& n = state_->Get(*id);
  if (n.is_dir) return InvalidArgument("is a directory: " + path);
  return n.data;
}

Status SimDisk::WriteWhole(const std::string& path, const std::string& contents) {
  State& s = *state_;
  const auto parts = SplitPath(path);
  if (parts.empty()) return InvalidArgument("the root is not a file");
  uint64_t dir = kRootId;
  for (size_t i = 0; i < parts.size(); ++i) {
    Node& d = s.Get(dir);
    if (!d.is_dir) return InvalidArgument("not a directory in: " + path);
    auto it = d.entries.find(parts[i]);
    std::optional<uint64_t> child;
    if (it != d.entries.end()) child = it->second;
    const bool last = i + 1 == parts.size();
    if (!child) {
      child = s.NewNode(/*is_dir=*/!last);
      s.Charge(*child, [](Node& n) { ++n.links; });
      s.Get(dir).entries[parts[i]] = *child;
    }
    // Durable at once: the entry, and no unsynced change may undo it.
    s.SetDurableEntry(dir, parts[i], *child);
    for (auto& op : s.dir_ops) {
      std::erase_if(op.effects, [&](const DirEffect& e) {
        if (e.dir != dir || e.name != parts[i]) return false;
        s.ReleaseEffect(e);
        return true;
      });
    }
    if (last && s.Get(*child).is_dir) return InvalidArgument("is a directory: " + path);
    dir = *child;
  }
  std::erase_if(s.dir_ops, [](const DirOp& op) { return op.effects.empty(); });
  s.Charge(dir, [&](Node& n) {
    n.data = contents;
    n.durable = contents;
    n.common = contents.size();
    n.durable_generation = ++n.sync_generation;  // older in-flight syncs are moot
    n.pending_syncs.clear();
  });
  CHECK(s.Get(dir).durable == contents);
  return Status::Ok();
}

uint64_t SimDisk::used_bytes() const { return state_->used; }

size_t SimDisk::node_count() const { return state_->nodes.size(); }

}  // namespace gafka::sim
