// A per-thread recycler for the kernel's small blocks that come and go by
// the hundred in every run: coroutine frames (the Proc and Task promises'
// operator new), Term heap blocks, process records and the nodes and
// buffers of the kernel's containers (PoolAllocator).
//
// Why: a run allocates a few hundred of these in a handful of sizes and
// frees most of them together at its end. glibc keeps only 7 free chunks
// per size in its per-thread cache, so most of those frees, and the next
// run's allocations, take its slow paths (binning, coalescing,
// consolidation). A free list per 16-byte size class hands the same chunks
// back instead. It never affects what a run does, only where its blocks
// live. A thread keeps its peak of freed blocks until it exits.
//
// Under AddressSanitizer the pool is off, so a use of a freed block is
// still reported.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace otpsim::sim::detail {

class BlockPool {
 public:
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t classes = 256;  // blocks up to 4 KiB; larger ones bypass the pool

  /// `size` must be the same in deallocate as in allocate.
  static void* allocate(std::size_t size) {
#if !defined(__SANITIZE_ADDRESS__)
    const std::size_t c = class_of(size);
    if (c < classes) {
      BlockPool& pool = instance();
      if (Node* node = pool.free_[c]) {
        pool.free_[c] = node->next;
        return node;
      }
      return ::operator new(c * granule);
    }
#endif
    return ::operator new(size);
  }

  static void deallocate(void* block, [[maybe_unused]] std::size_t size) noexcept {
#if !defined(__SANITIZE_ADDRESS__)
    const std::size_t c = class_of(size);
    // A block freed while its thread is exiting goes straight back to malloc.
    if (c < classes && alive()) {
      BlockPool& pool = instance();
      pool.free_[c] = new (block) Node{pool.free_[c]};
      return;
    }
#endif
    ::operator delete(block);
  }

  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

 private:
  BlockPool() { alive() = true; }
  ~BlockPool() {
    alive() = false;
    for (Node*& head : free_) {
      while (head != nullptr) ::operator delete(std::exchange(head, head->next));
    }
  }

  struct Node {
    Node* next;
  };
  static std::size_t class_of(std::size_t size) { return (size + granule - 1) / granule; }
  static BlockPool& instance() {
    thread_local BlockPool pool;
    return pool;
  }
  // Trivially destructible, so it can still be read once the pool is gone.
  static bool& alive() {
    thread_local bool flag = false;
    return flag;
  }

  Node* free_[classes] = {};
};

/// A standard allocator over the BlockPool, for the kernel's per-process
/// vectors and its maps (whose nodes come and go with every link, monitor,
/// timer, name and table row).
template <typename T>
struct PoolAllocator {
  using value_type = T;
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(BlockPool::allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { BlockPool::deallocate(p, n * sizeof(T)); }
  friend bool operator==(PoolAllocator, PoolAllocator) { return true; }
};

/// A base that makes a class's `new` and `delete` use the BlockPool.
struct Pooled {
  static void* operator new(std::size_t size) { return BlockPool::allocate(size); }
  static void operator delete(void* block, std::size_t size) noexcept { BlockPool::deallocate(block, size); }
};

}  // namespace otpsim::sim::detail
