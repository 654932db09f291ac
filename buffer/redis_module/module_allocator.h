#ifndef TARMAC_BUFFER_REDIS_MODULE_MODULE_ALLOCATOR_H_
#define TARMAC_BUFFER_REDIS_MODULE_MODULE_ALLOCATOR_H_

#include <cstddef>
#include <new>

namespace tarmac::replay {

// Every allocation of the replay tables goes through these, so that inside Redis they are
// RedisModule_Alloc/Free (counted in used_memory, subject to maxmemory) and in unit tests plain
// malloc/free. Set once when the module loads, before any table exists; not thread-safe.
using AllocFunction = void* (*)(std::size_t bytes);
using FreeFunction = void (*)(void* pointer);

void SetModuleAllocator(AllocFunction alloc, FreeFunction free);
void* ModuleAlloc(std::size_t bytes);  // never returns null: Redis aborts on OOM, so do we
void ModuleFree(void* pointer);

// std allocator over ModuleAlloc for the tables' containers.
template <typename T>
struct ModuleAllocator {
  using value_type = T;
  ModuleAllocator() = default;
  template <typename U>
  ModuleAllocator(const ModuleAllocator<U>& /*other*/) noexcept {}  // NOLINT: implicit by design
  T* allocate(std::size_t n) { return static_cast<T*>(ModuleAlloc(n * sizeof(T))); }
  void deallocate(T* p, std::size_t /*n*/) noexcept { ModuleFree(p); }
  template <typename U>
  bool operator==(const ModuleAllocator<U>& /*other*/) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const ModuleAllocator<U>& /*other*/) const noexcept {
    return false;
  }
};

}  // namespace tarmac::replay

#endif  // TARMAC_BUFFER_REDIS_MODULE_MODULE_ALLOCATOR_H_
