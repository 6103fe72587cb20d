// The invariant checkers of the single-broker case, installed by Oracle's
// constructor (numbers as in oracle.h and docs/simulation.md). Liveness (5)
// is judged by the Simulation, which knows what is still pending, and
// reported with Oracle::Fail. Group and replication checkers join here.
#pragma once

#include <memory>

#include "runtime-sim/oracle.h"

namespace gafka::sim {

std::unique_ptr<InvariantChecker> MakeAckedWritesChecker();        // 1
std::unique_ptr<InvariantChecker> MakeOffsetConsistencyChecker();  // 2
std::unique_ptr<InvariantChecker> MakeOrderChecker();              // 3
std::unique_ptr<InvariantChecker> MakeStableReadsChecker();        // 4

}  // namespace gafka::sim
