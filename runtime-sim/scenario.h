// Scenarios and swarm testing. A scenario (JSON in scenarios/, format in
// docs/simulation.md) states bounds: for every knob and fault rate a fixed
// value or a range, and for every fault group the probability that it is on
// at all. DrawOptions(scenario, seed) turns the bounds into one concrete
// SimOptions: which faults are on, their rates, and every knob.
//
// Each value is drawn from its own stream, forked from the seed by the
// value's path ("faults.crash.interval_mean_ms"), so adding a knob never
// shifts another. Every drawn value is also recorded (SimOptions::drawn) so a
// run prints exactly what it ran with.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/protocol/messages.h"
#include "runtime-sim/replication_options.h"
#include "runtime-sim/sim_clients.h"
#include "runtime-sim/sim_disk.h"
#include "runtime-sim/sim_group_members.h"
#include "runtime-sim/sim_network.h"

namespace gafka::sim {

struct Scenario {
  std::string name;
  std::string description;
  nlohmann::json spec;  // the whole document

  // Parses and validates the shape (unknown keys are errors: a typo would
  // otherwise silently test nothing).
  static Result<Scenario> Parse(std::string_view json_text);
};

struct FaultOptions {
  bool crash = false;
  Millis crash_interval_mean_ms = 10'000;
  Millis restart_delay_min_ms = 0;
  Millis restart_delay_max_ms = 1'000;
  bool disk_errors = false;  // EIO / ENOSPC rates in `disk`
  bool disk_full = false;    // a capacity in `disk`
  DiskFaults disk;           // rates, capacity, sync latency, crash model
  PathOptions network;       // latency, loss, duplication, capacity
  bool partition = false;
  Millis partition_interval_mean_ms = 10'000;
  Millis partition_duration_max_ms = 5'000;
  bool clog = false;
  Millis clog_interval_mean_ms = 10'000;
  Millis clog_duration_max_ms = 2'000;
  bool pause = false;
  Millis pause_interval_mean_ms = 10'000;
  Millis pause_duration_max_ms = 2'000;
  bool pause_drops_packets = false;  // else packets wait for the resume
  bool wall_jump = false;
  Millis wall_jump_interval_mean_ms = 20'000;
  Millis wall_jump_max_ms = 3'600'000;
  std::vector<DropFilter> drop_filters;
  double buggify_rate = 0;
};

struct SimOptions {
  std::string scenario;
  uint64_t seed = 0;
  Millis duration_ms = 60'000;  // faults on, load on
  Millis drain_ms = 60'000;     // faults off: the liveness window (and again for the audit)
  uint64_t max_events = 50'000'000;
  int32_t nodes = 1;
  std::string topic = "sim";
  int32_t partitions = 1;
  TopicConfig topic_config;
  uint64_t index_interval_bytes = 4096;
  int32_t producers = 1;
  int32_t readers = 1;
  ProducerConfig producer;
  ReaderConfig reader;
  FaultOptions faults;
  ReplicationOptions replication;                   // "replication" section
  GroupOptions groups;  // scenario section "groups"; members == 0: none
  bool canary = false;                              // this seed's disks lie about fsync (NodeDisk)
  nlohmann::json drawn = nlohmann::json::object();  // path -> value, as drawn
};

Result<SimOptions> DrawOptions(const Scenario& scenario, uint64_t seed);

}  // namespace gafka::sim
