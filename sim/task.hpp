// Coroutine types for simulated processes.
//
// - `Proc` is the body of a process: `Proc body(Ctx ctx) { ... co_return; }`.
//   The kernel owns its frame and destroys it when the process dies.
// - `Task<T>` is a nested coroutine a process awaits (`co_await f(ctx)`),
//   lazy, move-only and [[nodiscard]]; it owns its frame.
//
// Every coroutine of one process sits on that process's frame stack. Awaiting
// a Task pushes its frame and suspends to the kernel's trampoline, which
// resumes the top frame; finishing pops it and the trampoline resumes the
// parent. No resumption ever nests inside another, so a loop of a million
// synchronous Task calls uses constant stack (no reliance on tail calls,
// which g++ 12 drops under ASan).
//
// An exception escaping a Task is rethrown in the awaiting coroutine; one
// escaping a Proc body becomes the process's exit reason (see ExitException).
//
// g++ 12 pitfall: a lambda coroutine must outlive its frame. Pass lambdas to
// `spawn` (the kernel keeps the closure alive for the process's lifetime) or
// await a lambda call in the same full-expression that creates it.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "sim/assert.hpp"
#include "sim/block_pool.hpp"
#include "sim/term.hpp"

namespace otpsim::sim {

/// Thrown to end the current process with `reason` (Erlang's exit/1).
struct ExitException {
  Term reason;
};

namespace detail {

/// The frames of one process, bottom (the Proc body) to top.
using FrameStack = std::vector<std::coroutine_handle<>, PoolAllocator<std::coroutine_handle<>>>;

/// The frame stack of the process the kernel is running on this thread.
/// Set by the kernel's trampoline around each resume.
inline thread_local FrameStack* current_frames = nullptr;

struct PopFrame {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {
    OTPSIM_ASSERT(current_frames != nullptr, "otpsim internal bug: task finished outside a process");
    current_frames->pop_back();
  }
  void await_resume() const noexcept {}
};

// A promise's operator new/delete allocate its coroutine's frame: Pooled
// takes frames from the per-thread BlockPool (block_pool.hpp).
template <typename T>
struct TaskPromiseBase : Pooled {
  std::exception_ptr exception;
  std::suspend_always initial_suspend() noexcept { return {}; }
  PopFrame final_suspend() noexcept { return {}; }
  void unhandled_exception() { exception = std::current_exception(); }
};

template <typename T>
struct TaskPromise : TaskPromiseBase<T> {
  std::optional<T> value;
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (this->exception) std::rethrow_exception(this->exception);
    OTPSIM_ASSERT(value.has_value(), "otpsim internal bug: task result read before completion");
    return std::move(*value);
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase<void> {
  void return_void() {}
  void take() {
    if (this->exception) std::rethrow_exception(this->exception);
  }
};

}  // namespace detail

template <typename T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::TaskPromise<T> {
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // Ownership of the frame: the Task until awaited; then the process's
  // frame stack while it runs (so a kill destroys frames one by one, top
  // first, with no recursion however deep the nesting); then, once it has
  // finished and popped itself, the awaiter, which takes the result and
  // destroys the frame.
  struct Awaiter {
    Handle child;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const {
      OTPSIM_ASSERT(detail::current_frames != nullptr, "a Task was awaited outside a simulated process");
      detail::current_frames->push_back(child);
    }
    T await_resume() const {
      struct DestroyFrame {
        Handle h;
        ~DestroyFrame() { h.destroy(); }
      } destroy{child};
      return child.promise().take();
    }
  };
  Awaiter operator co_await() && {
    OTPSIM_ASSERT(static_cast<bool>(handle_), "awaiting an empty Task");
    return Awaiter{std::exchange(handle_, {})};
  }

 private:
  explicit Task(Handle h) : handle_(h) {}
  Handle handle_;
};

/// The body of a process. Created suspended; the kernel starts it on the
/// process's first step and owns the frame afterwards (with the frames of
/// the nested Tasks it is running, which it destroys top first).
class [[nodiscard]] Proc {
 public:
  struct promise_type : detail::Pooled {  // frames from the BlockPool
    std::exception_ptr exception;
    Proc get_return_object() { return Proc(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { exception = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Proc(Proc&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Proc(const Proc&) = delete;
  Proc& operator=(const Proc&) = delete;
  Proc& operator=(Proc&&) = delete;
  ~Proc() {
    if (handle_) handle_.destroy();
  }

  /// Transfers ownership of the frame to the caller (the kernel).
  Handle release() { return std::exchange(handle_, {}); }

 private:
  explicit Proc(Handle h) : handle_(h) {}
  Handle handle_;
};

}  // namespace otpsim::sim
