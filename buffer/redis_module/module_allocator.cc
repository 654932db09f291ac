#include "module_allocator.h"

#include <cstdio>
#include <cstdlib>

namespace tarmac::replay {
namespace {

AllocFunction g_alloc = std::malloc;
FreeFunction g_free = std::free;

}  // namespace

void SetModuleAllocator(AllocFunction alloc, FreeFunction free) {
  g_alloc = alloc;
  g_free = free;
}

void* ModuleAlloc(std::size_t bytes) {
  void* p = g_alloc(bytes == 0 ? 1 : bytes);
  if (p == nullptr) {
    std::fprintf(stderr, "tarmac_replay: out of memory allocating %zu bytes\n", bytes);
    std::abort();
  }
  return p;
}

void ModuleFree(void* pointer) {
  if (pointer != nullptr) g_free(pointer);
}

}  // namespace tarmac::replay
