// Throughput and memory benchmarks of the simulation kernel (sim/).
//
// Every benchmark drives a bare Kernel + RandomStrategy (no Observer), so the
// figures are the kernel's own cost, not that of test helpers such as the
// ExitRecorder in sim/test_support.hpp. A fresh kernel is built for every
// iteration, so no state (mailboxes, timers, the choice log, the trace)
// carries over between iterations. docs/performance.md lists the bars.
//
// Run pinned to one core:
//   taskset -c 0 ./build/bench/otpsim_bench
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>

#include "sim/ctx.hpp"
#include "sim/kernel.hpp"
#include "sim/random_strategy.hpp"

namespace otpsim::sim {
namespace {

/// A kernel with a seeded random strategy and no observer.
struct BenchWorld {
  explicit BenchWorld(TraceLevel trace = TraceLevel::off, std::uint64_t seed = 1)
      : strategy(seed), kernel(KernelConfig{RunLimits{~std::uint64_t{0}, Micros{1} << 62}, trace}, strategy) {}
  RandomStrategy strategy;
  Kernel kernel;
};

void check_quiescent(benchmark::State& state, const RunResult& r, std::size_t alive_expected = 0) {
  if (r.outcome != Outcome::quiescent || r.processes_alive != alive_expected) {
    state.SkipWithError("run did not end quiescent with the expected processes alive");
  }
}

// -- 1. ping-pong -------------------------------------------------------------
// Two processes bounce an integer: `ping` sends, `pong` receives and replies,
// `ping` receives the reply. One message sent and received = one delivery;
// an iteration is `deliveries` of them (2 steps each: send, receive).
template <TraceLevel Trace>
void BM_PingPong(benchmark::State& state) {
  const std::int64_t deliveries = state.range(0);
  const std::int64_t rounds = deliveries / 2;
  for (auto _ : state) {
    BenchWorld w(Trace);
    Pid ping_pid;
    std::int64_t received = 0;
    Pid pong = w.kernel.spawn([&](Ctx ctx) -> Proc {
      for (std::int64_t i = 0; i < rounds; ++i) {
        auto m = co_await ctx.receive();
        ++received;
        co_await ctx.send(ping_pid, std::move(*m));
      }
    });
    ping_pid = w.kernel.spawn([&, pong](Ctx ctx) -> Proc {
      for (std::int64_t i = 0; i < rounds; ++i) {
        co_await ctx.send(pong, Term(i));
        auto reply = co_await ctx.receive();
        ++received;
        benchmark::DoNotOptimize(reply->integer());
      }
    });
    RunResult r = w.kernel.run();
    check_quiescent(state, r);
    if (received != 2 * rounds) state.SkipWithError("lost messages");
    benchmark::DoNotOptimize(w.kernel.trace().events.data());
  }
  state.counters["deliveries_per_s"] =
      benchmark::Counter(static_cast<double>(2 * rounds * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(BM_PingPong, TraceLevel::off)->Name("ping_pong/trace_off")->Arg(200'000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_PingPong, TraceLevel::full)->Name("ping_pong/trace_full")->Arg(200'000)->Unit(benchmark::kMillisecond);

// -- 2. fan-out ---------------------------------------------------------------
// N workers wait in receive (set up untimed). A hub sends one message to each,
// then collects the N replies. Timed: the hub's run, 2N deliveries.
void BM_FanOut(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto w = std::make_unique<BenchWorld>();
    std::vector<Pid> workers;
    workers.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      workers.push_back(w->kernel.spawn([](Ctx ctx) -> Proc {
        auto m = co_await ctx.receive();
        co_await ctx.send(m->pid(), Term(ctx.self()));
      }));
    }
    check_quiescent(state, w->kernel.run(), n);
    std::size_t replies = 0;
    w->kernel.spawn([&](Ctx ctx) -> Proc {
      for (Pid worker : workers) co_await ctx.send(worker, Term(ctx.self()));
      for (std::size_t i = 0; i < workers.size(); ++i) {
        auto m = co_await ctx.receive();
        benchmark::DoNotOptimize(m->pid());
        ++replies;
      }
    });
    state.ResumeTiming();
    RunResult r = w->kernel.run();
    state.PauseTiming();
    check_quiescent(state, r);
    if (replies != n) state.SkipWithError("lost replies");
    w.reset();
    state.ResumeTiming();
  }
  state.counters["deliveries_per_s"] =
      benchmark::Counter(static_cast<double>(2 * n * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FanOut)->Name("fan_out")->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond);

// -- 3. spawn + normal exit ---------------------------------------------------
// A parent spawns N children whose bodies return at once. Timed: the whole
// run (spawn step, child start step, child exit), kernel built and torn down.
void BM_SpawnExit(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  for (auto _ : state) {
    BenchWorld w;
    w.kernel.spawn([n](Ctx ctx) -> Proc {
      for (std::int64_t i = 0; i < n; ++i) {
        Pid child = co_await ctx.spawn([](Ctx) -> Proc { co_return; });
        benchmark::DoNotOptimize(child);
      }
    });
    RunResult r = w.kernel.run();
    check_quiescent(state, r);
    benchmark::DoNotOptimize(r.steps);
  }
  state.counters["processes_per_s"] =
      benchmark::Counter(static_cast<double>(n * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SpawnExit)->Name("spawn_exit")->Arg(100'000)->Unit(benchmark::kMillisecond);

// -- 4. timer-heavy -----------------------------------------------------------
// P processes, each R rounds of `sleep(d1)` then a `receive` with timeout d2
// that times out (no one sends). Durations vary per process and round, in
// [1, 1000] us, so timers interleave and many fire at the same instant.
// One timer firing = one sleep wake-up or one receive timeout: 2*P*R.
void BM_Timers(benchmark::State& state) {
  const std::int64_t procs = state.range(0);
  const std::int64_t rounds = state.range(1);
  std::int64_t timeouts = 0;
  for (auto _ : state) {
    BenchWorld w;
    timeouts = 0;
    for (std::int64_t p = 0; p < procs; ++p) {
      w.kernel.spawn([rounds, &timeouts](Ctx ctx) -> Proc {
        const std::uint64_t id = ctx.self().id;
        for (std::int64_t i = 0; i < rounds; ++i) {
          const auto k = static_cast<std::uint64_t>(i);
          co_await ctx.sleep(static_cast<Micros>(1 + (id * 2654435761u + k * 40503u) % 1000));
          auto m = co_await ctx.receive(static_cast<Micros>(1 + (id * 7919u + k * 104729u) % 1000));
          if (!m) ++timeouts;
        }
      });
    }
    RunResult r = w.kernel.run();
    check_quiescent(state, r);
    if (timeouts != procs * rounds) state.SkipWithError("a receive did not time out");
    benchmark::DoNotOptimize(r.end_time_us);
  }
  state.counters["timer_firings_per_s"] =
      benchmark::Counter(static_cast<double>(2 * procs * rounds * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Timers)->Name("timers")->Args({1'000, 50})->Unit(benchmark::kMillisecond);

// -- 5. idle process memory ---------------------------------------------------
// N processes spawned from outside, each runs to `co_await ctx.receive()` and
// blocks; the kernel runs to quiescence. Heap = glibc mallinfo2().uordblks
// (bytes in allocated chunks) after minus before, inside one kernel's life:
// the Process record, coroutine frame, frame stack, the closure, plus the
// kernel's per-process share of its vectors (process table, enabled set,
// choice log). RSS = resident pages from /proc/self/statm, after minus
// before, with malloc_trim first so freed memory of earlier benchmarks is
// returned to the OS and not silently reused.
std::int64_t rss_bytes() {
  long size = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(f);
  return static_cast<std::int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

void BM_IdleMemory(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  double heap_delta = 0, rss_delta = 0;
  for (auto _ : state) {
    auto w = std::make_unique<BenchWorld>();
    malloc_trim(0);
    const std::size_t heap_before = mallinfo2().uordblks;
    const std::int64_t rss_before = rss_bytes();
    for (std::int64_t i = 0; i < n; ++i) {
      w->kernel.spawn([](Ctx ctx) -> Proc {
        auto m = co_await ctx.receive();
        benchmark::DoNotOptimize(m);
      });
    }
    RunResult r = w->kernel.run();
    const std::size_t heap_after = mallinfo2().uordblks;
    const std::int64_t rss_after = rss_bytes();
    check_quiescent(state, r, static_cast<std::size_t>(n));
    heap_delta = static_cast<double>(heap_after) - static_cast<double>(heap_before);
    rss_delta = static_cast<double>(rss_after - rss_before);
    state.PauseTiming();
    w.reset();
    state.ResumeTiming();
  }
  const double mib = 1024.0 * 1024.0;
  state.counters["bytes_per_idle_process"] = heap_delta / static_cast<double>(n);
  state.counters["heap_MiB"] = heap_delta / mib;
  state.counters["rss_bytes_per_idle_process"] = rss_delta / static_cast<double>(n);
  state.counters["rss_MiB"] = rss_delta / mib;
}
BENCHMARK(BM_IdleMemory)->Name("idle_memory")->Arg(100'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace otpsim::sim

BENCHMARK_MAIN();
