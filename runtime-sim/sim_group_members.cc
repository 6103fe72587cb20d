#include "runtime-sim/sim_group_members.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/protocol/base64.h"
#include "runtime-sim/client_codec.h"

namespace gafka::sim {
namespace {

using Json = nlohmann::json;

std::optional<Json> ParseBody(const HttpResponse& response) {
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  return body;
}

// A record object of a poll answer (fetch_encoder.cc's shape).
std::optional<Record> ParseRecord(const Json& j, int32_t* partition) {
  if (!j.is_object() || !j.contains("partition") || !j.contains("offset") || !j.contains("value") ||
      !j["partition"].is_number_integer() || !j["offset"].is_number_integer() ||
      !j["value"].is_string()) {
    return std::nullopt;
  }
  const bool base64 = j.value("encoding", std::string()) == "base64";
  auto bytes = [base64](const Json& s, std::string* out) {
    if (!s.is_string()) return false;
    if (!base64) {
      *out = s.get<std::string>();
      return true;
    }
    return Base64Decode(s.get<std::string>(), out);
  };
  Record record;
  *partition = j["partition"].get<int32_t>();
  record.offset = Offset(j["offset"].get<int64_t>());
  record.timestamp_ms = j.value("timestamp", int64_t{0});
  if (!bytes(j["value"], &record.value)) return std::nullopt;
  if (j.contains("key") && !j["key"].is_null()) {
    std::string key;
    if (!bytes(j["key"], &key)) return std::nullopt;
    record.key = std::move(key);
  }
  if (j.contains("headers")) {
    if (!j["headers"].is_array()) return std::nullopt;
    for (const Json& h : j["headers"]) {
      if (!h.is_object() || !h.contains("key") || !h["key"].is_string()) return std::nullopt;
      RecordHeader header;
      header.key = h["key"].get<std::string>();
      if (!h.contains("value") || !bytes(h["value"], &header.value)) return std::nullopt;
      record.headers.push_back(std::move(header));
    }
  }
  return record;
}

int ErrorCode(const HttpResponse& response) {
  auto error = ParseError(response);
  return error ? error->error_code : response.status * 100;
}

}  // namespace

// ---- SimGroupMember ----------------------------------------------------------

SimGroupMember::SimGroupMember(ClientContext context, GroupChecker& checker,
                               GroupMemberConfig config, NodeId self, int32_t index, Rng rng)
    : ctx_(context),
      checker_(checker),
      config_(std::move(config)),
      self_(self),
      index_(index),
      rng_(rng),
      clock_(context.clock),
      rpc_(context.clock, context.network, self) {
  consumer_id_ = "m" + std::to_string(index_) + "-0";
}

SimGroupMember::~SimGroupMember() { Stop(); }

std::string SimGroupMember::base_path() const {
  return "/api/v1/consumer-groups/" + config_.group + "/members/" + consumer_id_;
}

void SimGroupMember::Start() { Join(); }

void SimGroupMember::Calm() {
  calm_ = true;
  paused_until_ms_ = 0;
}

void SimGroupMember::Stop() {
  stopped_ = true;
  ++incarnation_;
  rpc_.Stop();
  clock_.CancelAll();
}

std::string SimGroupMember::Describe() const {
  return "member " + consumer_id_ + " " + state_ + " generation " + std::to_string(generation_) +
         " batches " + std::to_string(batches_);
}

void SimGroupMember::Later(Millis delay_ms, std::function<void()> fn) {
  clock_.After(std::max<Millis>(delay_ms, 0), [this, inc = incarnation_, fn = std::move(fn)] {
    if (inc == incarnation_ && !stopped_) fn();
  });
}

SimRpc::Callback SimGroupMember::Guard(std::function<void(const HttpResponse*)> fn) {
  return [this, inc = incarnation_, fn = std::move(fn)](const HttpResponse* response, bool late) {
    if (late || inc != incarnation_ || stopped_) return;
    fn(response);
  };
}

void SimGroupMember::Note(int64_t a, int64_t b, int64_t c, const std::string& what) {
  ctx_.trace.Record(ctx_.clock.NowMs(), TraceKind::kNote, self_.value(), a, b, c,
                    consumer_id_ + " " + what);
}

void SimGroupMember::ReportMember(const HttpResponse& response) {
  auto body = ParseBody(response);
  if (!body || !body->contains("generation") || !(*body)["generation"].is_number_integer()) return;
  const int64_t generation = (*body)["generation"].get<int64_t>();
  if (body->value("consumer_id", std::string()) != consumer_id_) return;
  std::vector<int32_t> partitions;
  if (body->contains("assignment") && (*body)["assignment"].is_array()) {
    for (const Json& ta : (*body)["assignment"]) {
      if (ta.value("topic", std::string()) != config_.topic || !ta.contains("partitions")) continue;
      for (const Json& p : ta["partitions"]) {
        if (p.is_number_integer()) partitions.push_back(p.get<int32_t>());
      }
    }
  }
  generation_ = generation;
  checker_.OnAssignment(consumer_id_, generation, partitions);
}

void SimGroupMember::Join() {
  state_ = "joining";
  Note(0, 0, 0, "joins");
  HttpRequest request;
  request.method = "POST";
  request.path = base_path() + "/join";
  request.body =
      Json{{"topic", config_.topic}, {"session_timeout_ms", config_.session_timeout_ms}}.dump();
  rpc_.Call(config_.broker, request, RpcTimeout(0), Guard([this](const HttpResponse* response) {
              if (response == nullptr || response->status != 200) {
                Later(config_.retry_backoff_ms, [this] { Join(); });
                return;
              }
              ReportMember(*response);
              if (!heartbeating_) {
                heartbeating_ = true;
                Later(config_.heartbeat_interval_ms, [this] { Heartbeat(); });
              }
              Poll();
            }));
}

void SimGroupMember::Heartbeat() {
  Later(config_.heartbeat_interval_ms, [this] { Heartbeat(); });
  if (ctx_.clock.NowMs() < paused_until_ms_) return;  // paused: silent
  HttpRequest request;
  request.method = "POST";
  request.path = base_path() + "/heartbeat";
  rpc_.Call(config_.broker, request, RpcTimeout(0), Guard([this](const HttpResponse* response) {
              if (response != nullptr && response->status == 200) ReportMember(*response);
            }));
}

void SimGroupMember::Poll() {
  state_ = "polling";
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/consume";
  request.query["topic"] = config_.topic;
  request.query["group_id"] = config_.group;
  request.query["consumer_id"] = consumer_id_;
  request.query["count"] = std::to_string(config_.poll_count);
  request.query["timeout"] = std::to_string(config_.poll_timeout_ms) + "ms";
  request.query["auto_offset_reset"] = "earliest";
  rpc_.Call(config_.broker, request, RpcTimeout(config_.poll_timeout_ms),
            Guard([this](const HttpResponse* response) {
              if (response == nullptr) {
                if (config_.new_id_after_lost_poll) {
                  Note(0, 0, 0, "lost a poll answer: rejoins as a new member");
                  consumer_id_ = "m" + std::to_string(index_) + "-" + std::to_string(++id_number_);
                  Later(config_.retry_backoff_ms, [this] { Join(); });
                } else {
                  Later(config_.retry_backoff_ms, [this] { Poll(); });
                }
                return;
              }
              if (response->status != 200) {
                const int code = ErrorCode(*response);
                if (code == 40403 || code == 40404) {
                  Later(config_.retry_backoff_ms, [this] { Join(); });
                } else {
                  Later(config_.retry_backoff_ms, [this] { Poll(); });
                }
                return;
              }
              auto body = ParseBody(*response);
              if (!body || !body->contains("generation") || !body->contains("records") ||
                  !(*body)["records"].is_array()) {
                ctx_.oracle.Fail(GroupChecker::kInvariant, "group-bad-answer",
                                 "unparsable group poll answer: " + response->body.substr(0, 200));
                return;
              }
              Batch batch;
              batch.generation = (*body)["generation"].get<int64_t>();
              std::vector<int32_t> assigned;
              for (const Json& p : (*body)["assigned_partitions"])
                assigned.push_back(p.get<int32_t>());
              generation_ = batch.generation;
              checker_.OnAssignment(consumer_id_, batch.generation, assigned);
              for (const Json& j : (*body)["records"]) {
                int32_t partition = -1;
                auto record = ParseRecord(j, &partition);
                if (!record) {
                  ctx_.oracle.Fail(GroupChecker::kInvariant, "group-bad-answer",
                                   "unparsable record in a group poll answer");
                  return;
                }
                if (std::find(assigned.begin(), assigned.end(), partition) == assigned.end()) {
                  ctx_.oracle.Fail(
                      GroupChecker::kInvariant, "group-two-owners",
                      consumer_id_ + " got a record of partition " + std::to_string(partition) +
                          " it does not own in generation " + std::to_string(batch.generation));
                  return;
                }
                checker_.OnDelivered(consumer_id_, partition, *record);
                auto [it, inserted] = batch.ranges.emplace(
                    partition, std::make_pair(record->offset, record->offset + 1));
                if (!inserted) {
                  if (record->offset != it->second.second) {
                    ctx_.oracle.Fail(GroupChecker::kInvariant, "group-gap",
                                     consumer_id_ + " got partition " + std::to_string(partition) +
                                         " offset " + std::to_string(record->offset.value()) +
                                         " after " + std::to_string(it->second.second.value() - 1) +
                                         " in one answer");
                    return;
                  }
                  it->second.second = record->offset + 1;
                }
                if (ctx_.oracle.failed()) return;
              }
              for (const auto& [p, range] : batch.ranges) {
                Note(p, range.first.value(), range.second.value(),
                     "polled gen " + std::to_string(batch.generation));
              }
              if (batch.ranges.empty()) {
                Poll();
                return;
              }
              ++batches_;
              Process(std::move(batch));
            }));
}

void SimGroupMember::Process(Batch batch) {
  state_ = "processing";
  const Millis think_ms = static_cast<Millis>(
      rng_.Exponential(static_cast<double>(std::max<Millis>(config_.process_mean_ms, 0))));
  if (!calm_ && rng_.Chance(config_.crash)) {
    const Millis at_ms = static_cast<Millis>(rng_.Uniform(static_cast<uint64_t>(think_ms) + 1));
    Later(at_ms, [this, batch = std::move(batch)] { Crash(batch); });
    return;
  }
  Millis stall_ms = 0;
  if (!calm_ && rng_.Chance(config_.pause)) {
    stall_ms = rng_.Range(0, config_.pause_max_ms);
    Note(stall_ms, 0, 0, "stalls");
    paused_until_ms_ = ctx_.clock.NowMs() + think_ms + stall_ms;
    ++pauses_;
  }
  Later(think_ms + stall_ms, [this, batch = std::move(batch)] {
    for (const auto& [p, range] : batch.ranges) {
      checker_.OnProcessed(p, range.first, range.second);
    }
    Commit(batch);
  });
}

void SimGroupMember::Crash(const Batch& batch) {
  // Part of the batch was processed (side effects happened), nothing of it
  // committed: the next owner reads it again.
  for (const auto& [p, range] : batch.ranges) {
    const int64_t n = range.second.value() - range.first.value();
    const int64_t done = rng_.Range(0, n);
    if (done > 0) checker_.OnProcessed(p, range.first, range.first + done);
  }
  Note(0, 0, 0, "crashes mid-batch");
  ++crashes_;
  ++incarnation_;
  clock_.CancelAll();
  heartbeating_ = false;
  paused_until_ms_ = 0;
  state_ = "crashed";
  const Millis delay_ms = rng_.Range(0, config_.restart_delay_max_ms);
  const bool new_id = rng_.Chance(config_.new_id_on_restart);
  Later(delay_ms, [this, new_id] {
    if (new_id) consumer_id_ = "m" + std::to_string(index_) + "-" + std::to_string(++id_number_);
    Join();
  });
}

void SimGroupMember::Commit(Batch batch) {
  state_ = "committing";
  Json offsets = Json::array();
  for (const auto& [p, range] : batch.ranges) {
    offsets.push_back(
        {{"topic", config_.topic}, {"partition", p}, {"offset", range.second.value()}});
    checker_.OnCommitSent(p, range.second);
  }
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/consumer-groups/" + config_.group + "/offsets";
  request.body =
      Json{{"consumer_id", consumer_id_}, {"generation", batch.generation}, {"offsets", offsets}}
          .dump();
  rpc_.Call(config_.broker, request, RpcTimeout(0),
            Guard([this, batch](const HttpResponse* response) {
              for (const auto& [p, range] : batch.ranges) {
                Note(p, range.second.value(), response ? response->status : 0,
                     "commit gen " + std::to_string(batch.generation));
              }
              const bool refused =
                  response != nullptr &&
                  (response->status == 409 || response->status == 404 || response->status == 400);
              if (response != nullptr && response->status == 200) {
                auto body = ParseBody(*response);
                if (!body || !body->contains("offsets") || !(*body)["offsets"].is_array()) {
                  ctx_.oracle.Fail(GroupChecker::kInvariant, "group-bad-answer",
                                   "unparsable commit answer: " + response->body.substr(0, 200));
                  return;
                }
                for (const Json& e : (*body)["offsets"]) {
                  const int32_t p = e.value("partition", -1);
                  auto range = batch.ranges.find(p);
                  if (range == batch.ranges.end()) continue;
                  checker_.OnCommitAccepted(consumer_id_, batch.generation, p, range->second.second,
                                            e.value("applied", false),
                                            Offset(e.value("committed_offset", int64_t{-1})));
                  if (ctx_.oracle.failed()) return;
                }
                ReportMember(*response);
              } else {
                for (const auto& [p, range] : batch.ranges) {
                  if (refused) {
                    checker_.OnCommitRefused(p, range.second);
                  } else {
                    checker_.OnCommitUnknown(p, range.second);
                  }
                }
              }
              if (response != nullptr && response->status == 400 && ErrorCode(*response) == 40013) {
                ctx_.oracle.Fail(GroupChecker::kInvariant, "group-commit-past-end",
                                 consumer_id_ +
                                     " was refused a commit of delivered records as past "
                                     "the log end: " +
                                     response->body.substr(0, 200));
                return;
              }
              if (response != nullptr && (response->status == 404 || response->status == 409)) {
                // Not a member, or fenced: what it processed is not committed. Join
                // again explicitly, so it re-reads from the committed offsets
                // (at-least-once: duplicates) rather than from the broker's
                // in-session position past the uncommitted batch.
                Later(config_.retry_backoff_ms, [this] { Join(); });
                return;
              }
              if (response == nullptr || response->status >= 500) {
                // Outcome unknown: commit the same again (the member may get no
                // more records to commit, so it must not give up on these).
                Later(config_.retry_backoff_ms, [this, batch] { Commit(batch); });
                return;
              }
              if (!calm_ && rng_.Chance(config_.leave)) {
                Leave();
                return;
              }
              Poll();
            }));
}

void SimGroupMember::Leave() {
  state_ = "leaving";
  Note(0, 0, 0, "leaves");
  ++leaves_;
  HttpRequest request;
  request.method = "POST";
  request.path = base_path() + "/leave";
  rpc_.Call(config_.broker, request, RpcTimeout(0), Guard([this](const HttpResponse*) {
              ++incarnation_;
              clock_.CancelAll();
              heartbeating_ = false;
              state_ = "left";
              Later(rng_.Range(0, config_.restart_delay_max_ms), [this] {
                consumer_id_ = "m" + std::to_string(index_) + "-" + std::to_string(++id_number_);
                Join();
              });
            }));
}

// ---- SimCommittedObserver ----------------------------------------------------

SimCommittedObserver::SimCommittedObserver(ClientContext context, GroupChecker& checker,
                                           NodeId broker, NodeId self, std::string group,
                                           std::string topic, Millis interval_ms)
    : ctx_(context),
      checker_(checker),
      broker_(broker),
      clock_(context.clock),
      rpc_(context.clock, context.network, self),
      group_(std::move(group)),
      topic_(std::move(topic)),
      interval_ms_(interval_ms) {}

void SimCommittedObserver::Start() { Read(); }

void SimCommittedObserver::Stop() {
  stopped_ = true;
  rpc_.Stop();
  clock_.CancelAll();
}

void SimCommittedObserver::Read() {
  if (stopped_) return;
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/consumer-groups/" + group_ + "/offsets";
  auto floor = checker_.AckedCommitFloor();
  rpc_.Call(broker_, request, 2000,
            [this, floor = std::move(floor)](const HttpResponse* response, bool late) {
              if (late || stopped_) return;
              clock_.After(interval_ms_, [this] { Read(); });
              if (response == nullptr) return;
              if (response->status == 404 && ErrorCode(*response) == 40403) {
                checker_.OnCommittedRead(floor, {});  // an unknown group has no offsets
                return;
              }
              if (response->status != 200) return;
              auto body = ParseBody(*response);
              if (!body || !body->contains("offsets") || !(*body)["offsets"].is_array()) {
                ctx_.oracle.Fail(GroupChecker::kInvariant, "group-bad-answer",
                                 "unparsable offsets answer: " + response->body.substr(0, 200));
                return;
              }
              std::map<int32_t, Offset> committed;
              for (const Json& e : (*body)["offsets"]) {
                if (e.value("topic", std::string()) != topic_) continue;
                committed[e.value("partition", -1)] = Offset(e.value("offset", int64_t{-1}));
              }
              checker_.OnCommittedRead(floor, committed);
            });
}

// ---- SimGroup ------------------------------------------------------------------

SimGroup::SimGroup(ClientContext context, const GroupOptions& options, NodeId broker,
                   const std::string& topic, int32_t partitions, const Rng& rng)
    : checker_(context.oracle, topic, partitions) {
  for (int32_t i = 0; i < options.members; ++i) {
    GroupMemberConfig config = options.member;
    config.broker = broker;
    config.topic = topic;
    members_.push_back(std::make_unique<SimGroupMember>(context, checker_, config,
                                                        NodeId(kMemberBase + i), i,
                                                        rng.Fork("member/" + std::to_string(i))));
  }
  observer_ = std::make_unique<SimCommittedObserver>(context, checker_, broker, NodeId(kObserverId),
                                                     options.member.group, topic,
                                                     options.observe_interval_ms);
}

SimGroup::~SimGroup() { Stop(); }

void SimGroup::Start() {
  for (auto& member : members_) member->Start();
  observer_->Start();
}

void SimGroup::Calm() {
  for (auto& member : members_) member->Calm();
}

void SimGroup::Stop() {
  for (auto& member : members_) member->Stop();
  observer_->Stop();
}

std::string SimGroup::Describe() const {
  std::string out = checker_.DescribeProgress();
  for (const auto& member : members_) out += " " + member->Describe() + ";";
  return out;
}

std::string SimGroup::Summary() const {
  uint64_t crashes = 0, pauses = 0, leaves = 0;
  for (const auto& member : members_) {
    crashes += member->crashes();
    pauses += member->pauses();
    leaves += member->leaves();
  }
  return " group_delivered=" + std::to_string(checker_.delivered()) +
         " group_dups=" + std::to_string(checker_.duplicates()) +
         " generations=" + std::to_string(checker_.generations()) +
         " commits=" + std::to_string(checker_.commits_applied()) +
         " fenced=" + std::to_string(checker_.commits_refused()) +
         " member_crashes=" + std::to_string(crashes) + " member_pauses=" + std::to_string(pauses) +
         " leaves=" + std::to_string(leaves);
}

}  // namespace gafka::sim
