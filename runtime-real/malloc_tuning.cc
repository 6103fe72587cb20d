#include "runtime-real/malloc_tuning.h"

#include <malloc.h>

namespace gafka::real {

void TuneMallocForServer() {
  // 32 MiB is glibc's largest mmap threshold on 64-bit; setting it also turns
  // off the dynamic adjustment (which would lower the trim threshold again).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

}  // namespace gafka::real
