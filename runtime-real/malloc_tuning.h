// Process-wide allocator settings for the servers (gafka-broker and the
// http-ceiling benchmark, so that the two stay comparable).
//
// glibc trims the per-thread malloc arenas with madvise(MADV_DONTNEED) as
// soon as their free top exceeds M_TRIM_THRESHOLD, and serves blocks above
// M_MMAP_THRESHOLD with a fresh mmap each time. A produce request of
// 100 x 1 KiB allocates several ~100 KiB buffers (body, parser, records)
// on each of 16+ HTTP threads, so by default every request paid page faults
// and page clearing for memory it had just given back (~15% of the broker's
// CPU in perf on the batched benchmark). Fixing both thresholds keeps freed
// memory in the arenas for reuse; the cost is that a process keeps its peak
// heap (bounded by the request-size cap times the HTTP threads).
#pragma once

namespace gafka::real {

// Call once at the start of main(), before threads exist.
void TuneMallocForServer();

}  // namespace gafka::real
