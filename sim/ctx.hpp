// Ctx: what a process body uses to act on the world. Every method returning
// an awaitable is a scheduling point: `co_await ctx.send(pid, msg);`. The
// synchronous methods (self, now_us, trap_exit, make_ref, choose, exit)
// touch only the calling process, so they are not scheduling points.
//
// A Ctx is a small handle (copy it freely into nested Tasks); it is valid
// only inside the process it was given to.
#pragma once

#include <concepts>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "sim/kernel.hpp"
#include "sim/process.hpp"
#include "sim/table.hpp"

namespace otpsim::sim {

namespace detail {

// g++ 12 NOTE (GCC PR 101367 and relatives): in a co_await expression, g++ 12
// destroys aggregate and lambda temporaries twice, so a lambda temporary
// that captures a std::string or a Term frees it twice; a defaulted
// class-type argument there fails the same way. Checked against g++ 12.2
// under ASan and valgrind. So: Ctx takes no defaulted class arguments;
// spawn and receive reject (static_assert) lambda temporaries whose captures
// have destructors; awaiters take pointers into themselves only in
// await_suspend, once they sit in the coroutine frame.

struct SpawnRequest {
  ProcessFn fn;
  SpawnOptions options;
};

template <typename Extract>
struct [[nodiscard]] EffectAwaiter {
  Process* process;
  Effect effect;
  Extract extract;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) { process->kernel->declare(*process, std::move(effect)); }
  auto await_resume() { return extract(*process); }
};

template <typename Extract>
EffectAwaiter<Extract> make_awaiter(Process* p, Effect e, Extract x) {
  return EffectAwaiter<Extract>{p, std::move(e), std::move(x)};
}

/// Selective receive: the matcher lives in the awaiter, which lives in the
/// coroutine frame while the process waits; under dfs the kernel also keeps
/// a bitwise copy, called again later in the run (receive-aware dependence),
/// so a matcher must capture values, never pointers into the frame.
template <typename M>
struct [[nodiscard]] ReceiveAwaiter {
  static_assert(std::is_trivially_copyable_v<M>,
                "a receive matcher must be trivially copyable: g++ 12 destroys the captures of a lambda "
                "temporary in a co_await expression twice (GCC PR 101367). Capture Pid, Ref, Atom, integers "
                "(values, not pointers: dfs calls a copy of the matcher again later in the run), not a Term or a "
                "std::string.");
  Process* process;
  Effect effect;
  M matcher;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) {
    if constexpr (!std::is_same_v<M, std::nullptr_t>) {
      effect.matcher = Matcher{[](const void* c, const Term& t) { return (*static_cast<const M*>(c))(t); }, &matcher,
                               static_cast<std::uint32_t>(sizeof(M))};
    }
    process->kernel->declare(*process, std::move(effect));
  }
  /// The message, or nullopt on timeout.
  std::optional<Term> await_resume() {
    if (!process->result.ok) return std::nullopt;
    return std::move(process->result.term);
  }
};

}  // namespace detail

class Ctx {
  // Helpers first: members with deduced return types must be defined before use.
  template <typename F>
  static std::unique_ptr<detail::SpawnRequest> make_request(F&& body, const SpawnOptions& options, bool link,
                                                            bool monitor) {
    using Body = std::remove_cvref_t<F>;
    static_assert(std::is_lvalue_reference_v<F> || std::is_same_v<Body, ProcessFn> ||
                      std::is_trivially_destructible_v<Body>,
                  "g++ 12 destroys the captures of a lambda temporary in a co_await expression twice "
                  "(GCC PR 101367). This lambda captures something with a destructor (a std::string, a Term): "
                  "name it first - `auto body = [..](Ctx c) -> Proc {..}; co_await ctx.spawn(body);` - or "
                  "capture only trivially copyable values (Pid, Ref, Atom, TableId, integers, pointers).");
    // Braces, not make_unique: clang 14 has no parenthesized aggregate init.
    auto request = std::unique_ptr<detail::SpawnRequest>(new detail::SpawnRequest{ProcessFn(std::forward<F>(body)), options});
    request->options.link = link;
    request->options.monitor = monitor;
    return request;
  }
  static TableStatus status_of(const detail::Process& p) { return static_cast<TableStatus>(p.result.status); }
  template <typename Fill, typename Extract>
  auto make(EffectKind kind, Fill fill, Extract extract) {
    detail::Effect e;
    e.kind = kind;
    fill(e);
    return detail::make_awaiter(p_, std::move(e), std::move(extract));
  }
  auto named_op(EffectKind kind, Atom table, Term operand) {
    return make(kind, [&](detail::Effect& e) { e.term2 = Term(table); e.term = std::move(operand); },
                [](detail::Process& p) { return static_cast<TableStatus>(p.result.status); });
  }
  auto table_op(EffectKind kind, TableId table, Term operand) {
    return make(kind, [&](detail::Effect& e) { e.table = table; e.term = std::move(operand); },
                [](detail::Process& p) { return static_cast<TableStatus>(p.result.status); });
  }


 public:
  explicit Ctx(detail::Process* process) : p_(process) {}

  // -- synchronous (not scheduling points) --
  Pid self() const { return p_->pid; }
  Micros now_us() const { return p_->kernel->now_us(); }
  /// process_flag(trap_exit, on).
  void trap_exit(bool on) { p_->trap_exit = on; }
  bool trapping_exits() const { return p_->trap_exit; }
  Ref make_ref() { return p_->kernel->make_ref(); }
  /// A logged data choice in [0, bound): replays identically.
  std::uint64_t choose(std::uint64_t bound) { return p_->kernel->choose(bound); }
  /// exit/1: ends this process with `reason`.
  [[noreturn]] void exit(Term reason) { throw ExitException{std::move(reason)}; }
  /// Records `event` in the trace and hands it to the observer, in this
  /// process, at this instant (as :telemetry.execute and Logger run their
  /// handlers in the caller). Not a scheduling point: it touches nothing
  /// another process can see.
  void emit(const Term& event) { p_->kernel->emit(*p_, event); }

  // -- messages --
  auto send(Pid to, Term message) {
    return make(EffectKind::send, [&](detail::Effect& e) { e.target = to; e.term = std::move(message); },
                [](detail::Process&) {});
  }
  /// Send to a registered name; exits the caller with `badarg` if no process
  /// has the name (as `Name ! Msg` does).
  auto send(Atom name, Term message) {
    return make(EffectKind::send_named, [&](detail::Effect& e) { e.term = Term(name); e.term2 = std::move(message); },
                [](detail::Process& p) {
                  if (!p.result.ok) throw ExitException{Term(atoms::badarg())};
                });
  }
  /// Selective receive: the first message (in arrival order) for which
  /// `matcher(message)` holds. nullopt when `timeout_us` passes first;
  /// timeout 0 polls. `infinity_us` waits forever.
  template <typename M>
    requires std::predicate<const M&, const Term&>
  detail::ReceiveAwaiter<M> receive(M matcher, Micros timeout_us = infinity_us) {
    detail::Effect e;
    e.kind = EffectKind::receive;
    e.duration_us = timeout_us;
    return detail::ReceiveAwaiter<M>{p_, std::move(e), std::move(matcher)};
  }
  /// Receive any message.
  detail::ReceiveAwaiter<std::nullptr_t> receive(Micros timeout_us = infinity_us) {
    detail::Effect e;
    e.kind = EffectKind::receive;
    e.duration_us = timeout_us;
    return detail::ReceiveAwaiter<std::nullptr_t>{p_, std::move(e), nullptr};
  }
  auto sleep(Micros duration_us) {
    return make(EffectKind::sleep, [&](detail::Effect& e) { e.duration_us = duration_us; },
                [](detail::Process&) {});
  }
  auto yield() {
    return make(EffectKind::yield, [](detail::Effect&) {}, [](detail::Process&) {});
  }

  // -- processes --
  /// Keeps `fn` and `options` alive (on the heap) until the step runs.
  /// Resumes with the new pid, or with {pid, monitor ref} for spawn_monitor.
  template <bool WithMonitor>
  struct [[nodiscard]] SpawnAwaiter {
    detail::Process* process;
    std::unique_ptr<detail::SpawnRequest> request;  // see the g++ 12 note at the top
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) {
      detail::Effect e;
      e.kind = EffectKind::spawn;
      e.spawn_fn = &request->fn;
      e.spawn_options = &request->options;
      process->kernel->declare(*process, std::move(e));
    }
    auto await_resume() {
      if constexpr (WithMonitor) {
        return std::pair<Pid, Ref>{process->result.pid, process->result.ref};
      } else {
        return process->result.pid;
      }
    }
  };
  // The body and options are taken by reference and copied to the heap here:
  // g++ 12 mishandles by-value class arguments (and defaulted ones) in a
  // co_await expression, destroying a stale bitwise copy of them.
  template <typename F>
  SpawnAwaiter<false> spawn(F&& body, const SpawnOptions& options) {
    return {p_, make_request(std::forward<F>(body), options, options.link, false)};
  }
  template <typename F>
  SpawnAwaiter<false> spawn(F&& body) {
    return {p_, make_request(std::forward<F>(body), SpawnOptions{}, false, false)};
  }
  template <typename F>
  SpawnAwaiter<false> spawn_link(F&& body, const SpawnOptions& options) {
    return {p_, make_request(std::forward<F>(body), options, true, false)};
  }
  template <typename F>
  SpawnAwaiter<false> spawn_link(F&& body) {
    return {p_, make_request(std::forward<F>(body), SpawnOptions{}, true, false)};
  }
  template <typename F>
  SpawnAwaiter<true> spawn_monitor(F&& body, const SpawnOptions& options) {
    return {p_, make_request(std::forward<F>(body), options, options.link, true)};
  }
  template <typename F>
  SpawnAwaiter<true> spawn_monitor(F&& body) {
    return {p_, make_request(std::forward<F>(body), SpawnOptions{}, false, true)};
  }

  auto link(Pid pid) {
    return make(EffectKind::link, [&](detail::Effect& e) { e.target = pid; }, [](detail::Process&) {});
  }
  auto unlink(Pid pid) {
    return make(EffectKind::unlink, [&](detail::Effect& e) { e.target = pid; }, [](detail::Process&) {});
  }
  /// A monitor; if `pid` is already dead, a DOWN with `noproc` is queued.
  auto monitor(Pid pid) {
    return make(EffectKind::monitor, [&](detail::Effect& e) { e.target = pid; },
                [](detail::Process& p) { return p.result.ref; });
  }
  /// A monitor whose ref is also an alias of the caller (OTP's
  /// monitor(process, Pid, [{alias, demonitor}])): messages sent to the alias
  /// with send_alias arrive while the monitor is active and are dropped once
  /// it is removed (demonitor, or its DOWN). gen_server:call uses it so a
  /// late reply never reaches the caller.
  auto monitor_alias(Pid pid) {
    return make(EffectKind::monitor, [&](detail::Effect& e) { e.target = pid; e.flag = true; },
                [](detail::Process& p) { return p.result.ref; });
  }
  /// Sends to the process whose active alias `alias` is; dropped otherwise.
  auto send_alias(Ref alias, Term message) {
    return make(EffectKind::send_alias, [&](detail::Effect& e) { e.ref = alias; e.term = std::move(message); },
                [](detail::Process&) {});
  }
  /// True if the monitor was active. `flush` removes a queued DOWN for it.
  auto demonitor(Ref ref, bool flush = false) {
    return make(EffectKind::demonitor, [&](detail::Effect& e) { e.ref = ref; e.flag = flush; },
                [](detail::Process& p) { return p.result.ok; });
  }
  /// exit/2: sends an exit signal to `pid`.
  auto exit(Pid pid, Term reason) {
    return make(EffectKind::exit_signal, [&](detail::Effect& e) { e.target = pid; e.term = std::move(reason); },
                [](detail::Process&) {});
  }
  auto is_alive(Pid pid) {
    return make(EffectKind::is_alive, [&](detail::Effect& e) { e.target = pid; },
                [](detail::Process& p) { return p.result.ok; });
  }

  // -- registered names --
  /// False if the name is taken, the pid already has a name, or it is dead.
  auto register_name(Atom name, Pid pid) {
    return make(EffectKind::register_name, [&](detail::Effect& e) { e.term = Term(name); e.target = pid; },
                [](detail::Process& p) { return p.result.ok; });
  }
  auto unregister_name(Atom name) {
    return make(EffectKind::unregister_name, [&](detail::Effect& e) { e.term = Term(name); },
                [](detail::Process& p) { return p.result.ok; });
  }
  /// The pid registered under `name`, or Pid{} (undefined).
  auto whereis(Atom name) {
    return make(EffectKind::whereis, [&](detail::Effect& e) { e.term = Term(name); },
                [](detail::Process& p) { return p.result.pid; });
  }

  // -- timers --
  /// erlang:send_after: `message` arrives at `to` after `delay_us`.
  auto send_after(Micros delay_us, Pid to, Term message) {
    return make(EffectKind::send_after,
                [&](detail::Effect& e) { e.duration_us = delay_us; e.target = to; e.term = std::move(message); },
                [](detail::Process& p) { return p.result.ref; });
  }
  /// The time that was left, or nullopt if the timer already fired or never was.
  auto cancel_timer(Ref timer) {
    return make(EffectKind::cancel_timer, [&](detail::Effect& e) { e.ref = timer; },
                [](detail::Process& p) -> std::optional<Micros> {
                  if (!p.result.ok) return std::nullopt;
                  return p.result.value;
                });
  }

  // -- tables --
  /// A table owned by this process.
  auto table_new(TableOptions options) {
    return make(EffectKind::table_new,
                [&](detail::Effect& e) {
                  e.access = options.access;
                  e.term2 = std::move(options.name);
                  e.target = options.heir;
                },
                [](detail::Process& p) { return TableResult<TableId>{status_of(p), p.result.table}; });
  }
  auto table_new() { return table_new(TableOptions{}); }
  /// Inserts or replaces the row keyed by row[0].
  auto insert(TableId table, Term row) { return table_op(EffectKind::table_insert, table, std::move(row)); }
  /// Inserts only if no row has that key; value tells whether it did.
  auto insert_new(TableId table, Term row) {
    return make(EffectKind::table_insert_new, [&](detail::Effect& e) { e.table = table; e.term = std::move(row); },
                [](detail::Process& p) { return TableResult<bool>{status_of(p), p.result.value != 0}; });
  }
  auto lookup(TableId table, Term key) {
    return make(EffectKind::table_lookup, [&](detail::Effect& e) { e.table = table; e.term = std::move(key); },
                [](detail::Process& p) {
                  TableResult<std::optional<Term>> r{status_of(p), std::nullopt};
                  if (p.result.value != 0) r.value = std::move(p.result.term);
                  return r;
                });
  }
  auto erase(TableId table, Term key) { return table_op(EffectKind::table_delete, table, std::move(key)); }
  /// Deletes the row keyed by row[0] only if it equals `row` (ets:delete_object,
  /// and match_delete with a full pattern): an atomic compare-and-delete.
  /// value tells whether it deleted.
  auto erase_object(TableId table, Term row) {
    return make(EffectKind::table_delete_object, [&](detail::Effect& e) { e.table = table; e.term = std::move(row); },
                [](detail::Process& p) { return TableResult<bool>{status_of(p), p.result.value != 0}; });
  }
  auto delete_table(TableId table) { return table_op(EffectKind::table_delete_table, table, Term()); }
  /// The same operations on a named table, resolving the name when the step
  /// runs (as ETS does): no_table if no table has the name then.
  auto insert(Atom table, Term row) { return named_op(EffectKind::table_insert, table, std::move(row)); }
  auto erase(Atom table, Term key) { return named_op(EffectKind::table_delete, table, std::move(key)); }
  auto lookup(Atom table, Term key) {
    return make(EffectKind::table_lookup, [&](detail::Effect& e) { e.term2 = Term(table); e.term = std::move(key); },
                [](detail::Process& p) {
                  TableResult<std::optional<Term>> r{status_of(p), std::nullopt};
                  if (p.result.value != 0) r.value = std::move(p.result.term);
                  return r;
                });
  }

  // -- the world outside the processes --
  /// A scheduling point that stands for one operation on an external
  /// resource (durable storage, a command line tool): the code after it,
  /// up to the next effect, performs the operation atomically. `resource`
  /// tells strategies which operations depend on each other; `what` names
  /// the operation in the trace.
  auto external(std::uint64_t resource, Atom what) {
    return make(EffectKind::external,
                [&](detail::Effect& e) { e.term = Term(static_cast<std::int64_t>(resource)); e.term2 = Term(what); },
                [](detail::Process&) {});
  }
  /// The table registered under `name` (TableStatus::no_table if none).
  auto table_named(Atom name) {
    return make(EffectKind::table_whereis, [&](detail::Effect& e) { e.term2 = Term(name); },
                [](detail::Process& p) { return TableResult<TableId>{status_of(p), p.result.table}; });
  }

 private:
  detail::Process* p_;
};

}  // namespace otpsim::sim
