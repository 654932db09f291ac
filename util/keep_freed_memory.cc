#include "tarmac/util/keep_freed_memory.h"

#include <malloc.h>

namespace tarmac::util {

void KeepFreedMemory() {
  static const bool set =
      mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
  (void)set;
}

}  // namespace tarmac::util
