// Test support for OTP behaviours: a collector that records, in order, the
// starts and exits of logical children, and a configurable worker. The
// canonical lines match what tests/conformance/beam prints on the real BEAM:
//   start <id> | exit <id> <reason> | call <label> <result> | sup <label> ...
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/otp/gen_server.hpp"
#include "core/otp/supervisor.hpp"
#include "sim/test_support.hpp"

namespace otpsim::core::otp::testing {

/// Erlang-syntax text with every pid shown as <pid> and ref as <ref>.
inline std::string canonical(const Term& t) {
  // Replaces "<0.N.0>" by "<pid>" and "#Ref<N>" by "<ref>" (no std::regex:
  // its header trips -Wmaybe-uninitialized in g++ 12 sanitizer builds).
  const std::string text = t.to_string();
  auto digits_end = [&](std::size_t i) {
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "<0.") == 0) {
      std::size_t j = digits_end(i + 3);
      if (j > i + 3 && text.compare(j, 3, ".0>") == 0) {
        out += "<pid>";
        i = j + 3;
        continue;
      }
    }
    if (text.compare(i, 5, "#Ref<") == 0) {
      std::size_t j = digits_end(i + 5);
      if (j > i + 5 && j < text.size() && text[j] == '>') {
        out += "<ref>";
        i = j + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

inline Atom collector_name() { return Atom("collector"); }

/// Registered as `collector`. A child's init calls {started, Id}; the
/// collector monitors the caller there, so no exit goes unseen.
class Collector final : public GenServer {
 public:
  explicit Collector(std::vector<std::string>* lines) : lines_(lines) {}
  Task<CallResult> handle_call(Ctx ctx, Term request, From from) override {
    if (request.is_tagged(Atom("started"), 2)) {
      (void)co_await ctx.monitor(from.pid);
      ids_[from.pid.id] = request[1];
      lines_->push_back("start " + canonical(request[1]));
      co_return CallResult::reply(Term(sim::atoms::ok()));
    }
    if (request.is_tagged(Atom("note"), 2)) {
      lines_->push_back(std::string(request[1].string_value()));
      co_return CallResult::reply(Term(sim::atoms::ok()));
    }
    co_return CallResult::reply(Term(static_cast<std::int64_t>(lines_->size())));  // {count}
  }
  Task<HandleResult> handle_info(Ctx, Term m) override {
    if (m.is_tagged(sim::atoms::down_tag(), 5)) {
      auto it = ids_.find(m[3].pid().id);
      if (it != ids_.end()) lines_->push_back("exit " + canonical(it->second) + " " + canonical(m[4]));
    }
    co_return HandleResult::noreply();
  }

 private:
  std::vector<std::string>* lines_;
  std::map<std::uint64_t, Term> ids_;
};

/// How a test worker behaves.
class WorkerOptions {
 public:
  WorkerOptions() = default;
  bool trap_exit = false;
  Micros terminate_delay_us = 0;   // time spent in terminate
  bool ignore_shutdown = false;    // trapping, never stops on an EXIT
  Term init_result;                // 0: ok; an atom `ignore`; {stop, R}; {error, R}: a failed start
};

class Worker final : public GenServer {
 public:
  Worker(Term id, WorkerOptions options) : id_(std::move(id)), options_(std::move(options)) {}
  Task<InitResult> init(Ctx ctx) override {
    ctx.trap_exit(options_.trap_exit);
    (void)co_await call(ctx, ServerRef(ServerName::local(collector_name())), sim::tuple(Atom("started"), id_));
    if (options_.init_result.is(sim::atoms::ignore())) co_return InitResult::ignore();
    if (options_.init_result.is_tagged(Atom("stop"), 2)) co_return InitResult::stop(options_.init_result[1]);
    co_return InitResult::ok();
  }
  Task<CallResult> handle_call(Ctx ctx, Term request, From) override {
    if (request.is_tagged(Atom("exit"), 2)) ctx.exit(request[1]);  // exit with that reason
    co_return CallResult::reply(Term(sim::atoms::ok()));
  }
  Task<HandleResult> handle_info(Ctx, Term m) override {
    if (options_.ignore_shutdown) co_return HandleResult::noreply();
    if (m.is_tagged(sim::atoms::exit_tag(), 3)) co_return HandleResult::stop(m[2]);
    co_return HandleResult::noreply();
  }
  Task<> terminate(Ctx ctx, Term) override {
    if (options_.terminate_delay_us > 0) co_await ctx.sleep(options_.terminate_delay_us);
  }

 private:
  Term id_;
  WorkerOptions options_;
};

}  // namespace otpsim::core::otp::testing

namespace otpsim::core::otp::testing {

/// A scenario's driver: runs in a process that traps exits, after the
/// collector is up; it may append lines of its own to `lines`.
using Driver = Task<> (*)(Ctx ctx, std::vector<std::string>& lines);

inline ServerFactory worker(Term id, WorkerOptions options = WorkerOptions()) {
  return [id, options] { return std::make_unique<Worker>(id, options); };
}

/// The child spec of a test worker with logical id `id`.
inline ChildSpec worker_spec(const char* id, WorkerOptions options = WorkerOptions()) {
  Term tid(Atom{id});
  return ChildSpec::worker(tid, [tid, options](Ctx c) {
    return start_link(c, worker(tid, options), StartOptions(ServerName(), tid.atom().text()));
  });
}

/// Child specs as a vector, without a braced list (which g++ 12 rejects in
/// a co_await expression).
template <typename... Specs>
std::vector<ChildSpec> specs(Specs... s) {
  std::vector<ChildSpec> v;
  (v.push_back(std::move(s)), ...);
  return v;
}

/// Runs `driver` on a fresh kernel under `seed`; returns the lines seen up
/// to the driver's return (what follows is the tree's teardown when the
/// driver exits, which a BEAM script never prints either).
inline std::vector<std::string> run_scenario(Driver driver, std::uint64_t seed = 0,
                                             sim::RunLimits limits = sim::RunLimits()) {
  std::vector<std::string> lines, at_end;
  bool finished = false;
  sim::testing::World w(seed, sim::TraceLevel::off, limits);
  auto* out = &lines;
  auto* end = &at_end;
  auto* done = &finished;
  w.spawn([out, end, done, driver](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    ServerFactory collector = [out] { return std::make_unique<Collector>(out); };
    (void)co_await start_link(ctx, collector, StartOptions(ServerName::local(collector_name()), "collector"));
    co_await driver(ctx, *out);
    *end = *out;
    *done = true;
  }, "driver");
  sim::RunResult r = w.run();
  if (!finished) {
    at_end = lines;
    at_end.push_back("driver did not finish: " + std::string(sim::outcome_name(r.outcome)));
  }
  return at_end;
}

/// The driver's own lines: call <label> <result>.
inline void note(std::vector<std::string>& lines, const std::string& label, const Term& result) {
  lines.push_back("call " + label + " " + canonical(result));
}

/// Waits until the collector has recorded `count` lines (the collector
/// answers calls in order, so this also orders the driver after them).
inline Task<> wait_lines(Ctx ctx, const std::vector<std::string>& lines, std::size_t count) {
  for (int i = 0; i < 100000 && lines.size() < count; ++i) co_await ctx.sleep(1000);
}

}  // namespace otpsim::core::otp::testing
