#include "sim/soundness.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <vector>

#include "sim/ctx.hpp"
#include "sim/rng.hpp"
#include "sim/sequence_strategy.hpp"

namespace otpsim::sim::soundness {

namespace {

KernelConfig config(Delivery delivery) { return KernelConfig{RunLimits{}, TraceLevel::off, delivery}; }

}  // namespace

Enumerated brute_force(const Program& program, Delivery delivery, std::uint64_t max_runs) {
  Enumerated out;
  std::vector<std::uint64_t> sequence;
  for (;;) {
    SequenceStrategy strategy(sequence);
    Kernel k(config(delivery), strategy);
    Finish finish = program(k);
    RunResult r = k.run();
    if (r.outcome != Outcome::quiescent && out.error.empty()) out.error = fmt::format("a run ended {}", r.message);
    out.outcomes.insert(finish());
    ++out.runs;
    const std::vector<Choice>& log = k.choices();
    std::size_t i = log.size();
    while (i > 0 && log[i - 1].pick + 1 >= log[i - 1].bound) --i;
    if (i == 0) {
      out.finished = true;
      return out;
    }
    if (out.runs >= max_runs) return out;
    sequence.clear();
    for (std::size_t j = 0; j + 1 < i; ++j) sequence.push_back(log[j].pick);
    sequence.push_back(log[i - 1].pick + 1);
  }
}

Enumerated explore(const Program& program, Delivery delivery, const DfsOptions& options, std::uint64_t max_runs) {
  DfsExplorer dfs(options);
  Enumerated out;
  while (auto strategy = dfs.next_run()) {
    if (out.runs >= max_runs) {
      dfs.end_run();
      return out;
    }
    std::string outcome;
    RunResult r;
    {
      Kernel k(config(delivery), *strategy);
      Finish finish = program(k);
      r = k.run();
      outcome = finish();
    }  // the kernel is gone before end_run, as in scenarios/sweep.cpp
    dfs.end_run();
    if (!dfs.error().empty()) {
      out.error = dfs.error();
      return out;
    }
    if (dfs.last_run_pruned()) continue;
    if (r.outcome != Outcome::quiescent && out.error.empty()) out.error = fmt::format("a run ended {}", r.message);
    out.outcomes.insert(std::move(outcome));
    ++out.runs;
  }
  out.pruned = dfs.pruned();
  out.finished = dfs.exhausted();
  return out;
}

// -- random programs --

namespace {

struct Op {
  enum class Kind : std::uint8_t {
    table_new,  // process 0's first op only: a public named table `t`
    send,       // {Tag, me} to another process (tag a or b)
    forward,    // receive anything (timeout 1), send it on to another process
    recv,       // receive anything (timeout: infinity, 0 or 1)
    recv_tag,   // selective receive of tag a or b (timeout: infinity, 0 or 1)
    link,
    unlink,
    trap,       // trap_exit(true) (not a step: logged at the next one)
    monitor,
    demonitor,  // the last monitor, with or without flush
    exit,       // exit(other, normal | kill | boom)
    alive,
    insert,
    lookup,
    choose,     // a data choice of 2
    crash,      // exit(boom): ends the process
    sleep,
    reg,        // register_name(n, self())
    unreg,      // unregister_name(n)
    whereis,    // whereis(n)
    send_name,  // n ! {Tag, me} (send to a name; badarg ends the sender)
    spawn,      // spawn the child (the fourth op list, pid 4); once per program
  };
  Kind kind = Kind::send;
  std::uint64_t other = 0;  // 0..2, another process
  std::uint64_t arg = 0;    // tag, timeout, reason, flush
};

constexpr const char* kind_names[] = {"new",     "send",   "fwd",   "recv",   "recv_tag", "link",
                                      "unlink",  "trap",   "mon",   "demon",  "exit",     "alive",
                                      "insert",  "lookup", "choose", "crash", "sleep",
                                      "reg",     "unreg",  "whereis", "send_name", "spawn"};
constexpr int kind_count = 22;
/// The roots (pids 1..3); list 3 is the spawned child's (pid 4).
constexpr std::size_t root_count = 3;

std::vector<std::vector<Op>> random_ops(std::uint64_t seed, int max_ops) {
  Rng rng(seed * 0x9e3779b97f4a7c15ULL + 12345);
  std::vector<std::vector<Op>> procs(root_count + 1);
  bool spawned = false;
  for (std::size_t p = 0; p < procs.size(); ++p) {
    const bool child = p == root_count;
    if (child && !spawned) break;  // no spawn: no child
    const std::uint64_t n = 1 + rng.below(static_cast<std::uint64_t>(max_ops));
    for (std::uint64_t i = 0; i < n; ++i) {
      Op op;
      if (p == 0 && i == 0 && rng.below(3) == 0) {
        op.kind = Op::Kind::table_new;
      } else {
        op.kind = static_cast<Op::Kind>(1 + rng.below(kind_count - 1));
        // Sends are what the other operations observe: weigh them up.
        if (rng.below(3) == 0) op.kind = Op::Kind::send;
        // One child per program, spawned by a root.
        if (op.kind == Op::Kind::spawn) {
          if (spawned || child) op.kind = Op::Kind::reg;
          spawned = true;
        }
      }
      op.other = child ? rng.below(root_count) : (p + 1 + rng.below(2)) % root_count;
      switch (op.kind) {
        case Op::Kind::send:
        case Op::Kind::send_name: op.arg = rng.below(2); break;
        case Op::Kind::recv: op.arg = rng.below(3); break;
        case Op::Kind::recv_tag: op.arg = rng.below(6); break;  // tag = arg % 2, timeout = arg / 2
        case Op::Kind::exit: op.arg = rng.below(3); break;
        case Op::Kind::demonitor: op.arg = rng.below(2); break;
        case Op::Kind::sleep: op.arg = 1 + rng.below(2); break;
        default: break;
      }
      procs[p].push_back(op);
    }
  }
  if (!spawned) procs.pop_back();
  return procs;
}

Micros timeout_of(std::uint64_t code) { return code == 0 ? infinity_us : static_cast<Micros>(code - 1); }

std::string show(const std::optional<Term>& m) {
  if (!m) return "none";
  if (m->is_tagged(Atom("DOWN"), 5)) return fmt::format("DOWN<{},{}>", (*m)[3].pid().id, (*m)[4].to_string());
  if (m->is_tagged(Atom("EXIT"), 3)) return fmt::format("EXIT<{},{}>", (*m)[1].pid().id, (*m)[2].to_string());
  return m->to_string();
}

/// Records how each process ended.
class Ends final : public Observer {
 public:
  void on_exit(Pid pid, const Term& reason) override { reasons[pid.id] = reason.to_string(); }
  std::map<std::uint64_t, std::string> reasons;
};

struct State {
  std::vector<std::string> logs = std::vector<std::string>(root_count + 1);
  Ends ends;
};

/// A receive of one tag (a trivially copyable matcher: dfs keeps a copy).
struct TagMatcher {
  Atom tag;
  bool operator()(const Term& m) const { return m.is_tuple() && m.size() == 2 && m[0].is(tag); }
};

Proc body(Ctx ctx, std::shared_ptr<const std::vector<std::vector<Op>>> ops, std::shared_ptr<State> state,
          std::size_t me) {
  std::string& log = state->logs[me];
  Ref last_monitor;
  for (const Op& op : (*ops)[me]) {
    Pid other{op.other + 1};  // roots: pids 1, 2, 3
    const Atom name("n");
    switch (op.kind) {
      case Op::Kind::table_new: {
        TableOptions options(TableAccess::public_access, Term(Atom("t")));
        auto made = co_await ctx.table_new(options);
        log += made.ok() ? "new " : "new:failed ";
        break;
      }
      case Op::Kind::send: {
        Term message = tuple(Atom(op.arg == 0 ? "a" : "b"), static_cast<std::int64_t>(me));
        co_await ctx.send(other, message);
        break;
      }
      case Op::Kind::forward: {
        auto m = co_await ctx.receive(Micros{1});
        log += "fwd:" + show(m) + " ";
        if (m) co_await ctx.send(other, *m);
        break;
      }
      case Op::Kind::recv: {
        auto m = co_await ctx.receive(timeout_of(op.arg));
        log += "recv:" + show(m) + " ";
        break;
      }
      case Op::Kind::recv_tag: {
        TagMatcher matcher{Atom(op.arg % 2 == 0 ? "a" : "b")};
        auto m = co_await ctx.receive(matcher, timeout_of(op.arg / 2));
        log += std::string(op.arg % 2 == 0 ? "recv_a:" : "recv_b:") + show(m) + " ";
        break;
      }
      case Op::Kind::link: co_await ctx.link(other); break;
      case Op::Kind::unlink: co_await ctx.unlink(other); break;
      case Op::Kind::trap:
        ctx.trap_exit(true);
        co_await ctx.yield();
        break;
      case Op::Kind::monitor: last_monitor = co_await ctx.monitor(other); break;
      case Op::Kind::demonitor:
        if (last_monitor) {
          const bool active = co_await ctx.demonitor(last_monitor, op.arg == 1);
          log += active ? "demon:active " : "demon:gone ";
        }
        break;
      case Op::Kind::exit: {
        Term reason = op.arg == 0 ? Term(Atom("normal")) : op.arg == 1 ? Term(Atom("kill")) : Term(Atom("boom"));
        co_await ctx.exit(other, reason);
        break;
      }
      case Op::Kind::alive: {
        const bool alive = co_await ctx.is_alive(other);
        log += alive ? "alive " : "dead ";
        break;
      }
      case Op::Kind::insert: {
        Term row = tuple(Atom("k"), static_cast<std::int64_t>(me));
        auto status = co_await ctx.insert(Atom("t"), row);
        log += "ins:" + std::string(table_status_name(status)) + " ";
        break;
      }
      case Op::Kind::lookup: {
        Term key = Term(Atom("k"));
        auto got = co_await ctx.lookup(Atom("t"), key);
        log += got.ok() ? (got.value ? "got:" + (*got.value)[1].to_string() : std::string("miss")) + " "
                        : std::string(table_status_name(got.status)) + " ";
        break;
      }
      case Op::Kind::choose: log += "c" + std::to_string(ctx.choose(2)) + " "; break;
      case Op::Kind::crash: ctx.exit(Term(Atom("boom")));
      case Op::Kind::sleep:
        co_await ctx.sleep(static_cast<Micros>(op.arg));
        log += "t" + std::to_string(ctx.now_us()) + " ";
        break;
      case Op::Kind::reg: {
        const bool ok = co_await ctx.register_name(name, ctx.self());
        log += ok ? "reg " : "reg:no ";
        break;
      }
      case Op::Kind::unreg: {
        const bool ok = co_await ctx.unregister_name(name);
        log += ok ? "unreg " : "unreg:no ";
        break;
      }
      case Op::Kind::whereis: {
        const Pid at = co_await ctx.whereis(name);
        log += at ? fmt::format("at:{} ", at.id) : std::string("at:none ");
        break;
      }
      case Op::Kind::send_name: {
        Term message = tuple(Atom(op.arg == 0 ? "a" : "b"), static_cast<std::int64_t>(me));
        log += "sn ";  // a send to no name raises badarg: the process ends there
        co_await ctx.send(name, message);
        break;
      }
      case Op::Kind::spawn: {
        ProcessFn fn = [ops, state](Ctx c) -> Proc { return body(c, ops, state, root_count); };
        const Pid child = co_await ctx.spawn(fn);
        log += fmt::format("spawn:{} ", child.id);
        break;
      }
    }
  }
}

}  // namespace

Program random_program(std::uint64_t seed, int max_ops) {
  auto ops = std::make_shared<const std::vector<std::vector<Op>>>(random_ops(seed, max_ops));
  return [ops](Kernel& kernel) -> Finish {
    auto state = std::make_shared<State>();
    kernel.set_observer(&state->ends);
    for (std::size_t me = 0; me < root_count; ++me) {
      ProcessFn fn = [ops, state, me](Ctx ctx) -> Proc { return body(ctx, ops, state, me); };
      kernel.spawn(std::move(fn));
    }
    return [state] {
      std::string s;
      for (std::size_t p = 0; p < state->logs.size(); ++p) {
        auto end = state->ends.reasons.find(p + 1);
        if (p == root_count && state->logs[p].empty() && end == state->ends.reasons.end()) continue;  // no child
        s += fmt::format("[{}| {}]", state->logs[p], end == state->ends.reasons.end() ? "alive" : end->second);
      }
      return s;
    };
  };
}

std::string describe(std::uint64_t seed, int max_ops) {
  std::string out;
  const auto procs = random_ops(seed, max_ops);
  for (std::size_t p = 0; p < procs.size(); ++p) {
    out += p == root_count ? fmt::format("child P{}:", p + 1) : fmt::format("P{}:", p + 1);
    for (const Op& op : procs[p]) {
      out += fmt::format(" {}(P{},{})", kind_names[static_cast<int>(op.kind)], op.other + 1, op.arg);
    }
    out += p + 1 < procs.size() ? "; " : "";
  }
  return out;
}

Verdict check(const Program& program, Delivery delivery, const DfsOptions& options, std::uint64_t brute_force_budget) {
  Verdict v;
  const Enumerated all = brute_force(program, delivery, brute_force_budget);
  v.all_runs = all.runs;
  if (!all.finished) return v;
  v.compared = true;
  // Every class of runs dfs explores is a run brute force also ran, so dfs
  // needs at most as many complete runs (plus slack for pruned ones).
  const Enumerated dfs = explore(program, delivery, options, all.runs + 1);
  v.dfs_runs = dfs.runs;
  v.dfs_pruned = dfs.pruned;
  if (!dfs.error.empty() || !dfs.finished) {
    v.miss = true;
    v.detail = dfs.error.empty() ? fmt::format("dfs ran more complete runs ({}) than brute force", dfs.runs) : dfs.error;
    return v;
  }
  for (const std::string& o : all.outcomes) {
    if (!dfs.outcomes.count(o)) {
      v.miss = true;
      v.detail += "missed: " + o + "\n";
    }
  }
  for (const std::string& o : dfs.outcomes) {
    if (!all.outcomes.count(o)) {
      v.extra = true;
      v.detail += "extra: " + o + "\n";
    }
  }
  return v;
}

}  // namespace otpsim::sim::soundness
