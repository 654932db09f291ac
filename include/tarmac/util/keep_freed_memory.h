#ifndef TARMAC_UTIL_KEEP_FREED_MEMORY_H_
#define TARMAC_UTIL_KEEP_FREED_MEMORY_H_

namespace tarmac::util {

// Keeps the heap's freed memory in the process instead of handing it back to the kernel, for
// processes that allocate and free the same few MB over and over: rollout processes
// (observations, encoded transitions, the writer's command buffers) and learners (LibTorch's
// tensors of every update, hundreds of KB each). By default glibc maps blocks past its mmap
// threshold afresh each time and trims arenas that shrink, and every page touched again is a
// page fault: ~4 % of an actor process's CPU, and half of a one-thread bfloat16 SAC update's
// time on a VM whose host backs guest memory on first touch (BM_FirstTouchPage). Blocks under
// 32 MiB then come from the heap (fixing the trim threshold alone would pin the mmap threshold
// at 128 KiB). The process's memory stays at its peak rather than its current use. Idempotent;
// process-wide.
void KeepFreedMemory();

}  // namespace tarmac::util

#endif  // TARMAC_UTIL_KEEP_FREED_MEMORY_H_
