// A loopback TCP port nobody listens on at the moment of the call (bound to
// port 0, read back, released): for tools and tests that start brokers or
// servers on 127.0.0.1. Another process may take it meanwhile; callers that
// bind it themselves should prefer binding port 0 directly.
#pragma once

namespace gafka::real {

// 0 if no port could be bound.
int UnusedLoopbackPort();

}  // namespace gafka::real
