// DynamicSupervisor (Elixir 1.14 dynamic_supervisor.ex) on the kernel.
#include "core/otp/dynamic_supervisor.hpp"

#include <map>
#include <set>

namespace otpsim::core::otp::dynamic_supervisor {

namespace sa = sim::atoms;
namespace {

Atom a(const char* text) { return Atom(text); }
Term error(Term reason) { return sim::tuple(sa::error(), std::move(reason)); }
bool is_normal_exit(const Term& reason) {
  return reason.is(sa::normal()) || reason.is(sa::shutdown()) || reason.is_tagged(sa::shutdown(), 2);
}

struct Child {
  ChildSpec spec;
  bool restarting = false;
};

class DynamicServer final : public GenServer {
 public:
  explicit DynamicServer(Options options) : options_(options) {}

  Task<InitResult> init(Ctx ctx) override {
    ctx.trap_exit(true);
    if (options_.init_hook) {
      auto hook = options_.init_hook;
      co_await hook(ctx);
    }
    co_return InitResult::ok();
  }

  Task<CallResult> handle_call(Ctx ctx, Term request, From) override {
    if (request.is_tagged(a("start_child"), 2)) {
      co_return CallResult::reply(co_await handle_start_child(ctx, *request[1].opaque_as<ChildSpec>()));
    }
    if (request.is_tagged(a("terminate_child"), 2)) {
      auto it = children_.find(request[1].pid().id);
      if (it == children_.end()) co_return CallResult::reply(error(Term(a("not_found"))));
      Shutdown how = it->second.spec.shutdown;
      children_.erase(it);
      std::vector<std::pair<std::uint64_t, Shutdown>> one;
      one.emplace_back(request[1].pid().id, how);
      co_await terminate_all(ctx, std::move(one));
      co_return CallResult::reply(Term(sa::ok()));
    }
    if (request.is_atom("which_children")) {
      std::vector<Term> out;
      for (const auto& [id, c] : children_) {
        out.push_back(sim::tuple(sa::undefined(), c.restarting ? Term(a("restarting")) : Term(Pid{id}),
                                 c.spec.type == ChildType::worker ? a("worker") : a("supervisor")));
      }
      co_return CallResult::reply(Term::list(std::move(out)));
    }
    if (request.is_atom("count_children")) {
      std::int64_t active = 0, supervisors = 0, workers = 0;
      for (const auto& [id, c] : children_) {
        if (!c.restarting) ++active;
        (c.spec.type == ChildType::supervisor ? supervisors : workers)++;
      }
      co_return CallResult::reply(sim::list(sim::tuple(a("active"), active),
                                            sim::tuple(a("specs"), static_cast<std::int64_t>(children_.size())),
                                            sim::tuple(a("supervisors"), supervisors), sim::tuple(a("workers"), workers)));
    }
    co_return CallResult::reply(error(Term(a("bad_request"))));
  }

  Task<HandleResult> handle_info(Ctx ctx, Term message) override {
    if (message.is_tagged(sa::exit_tag(), 3) && message[1].is_pid()) {
      auto it = children_.find(message[1].pid().id);
      if (it == children_.end()) co_return HandleResult::noreply();
      if (auto stop = co_await maybe_restart_child(ctx, it->first, message[2])) co_return HandleResult::stop(*stop);
    }
    if (message.is_tagged(a("$gen_restart"), 2)) {  // retry a failed restart
      auto it = children_.find(message[1].pid().id);
      if (it != children_.end() && it->second.restarting) {
        if (auto stop = co_await restart_child(ctx, it->first)) co_return HandleResult::stop(*stop);
      }
    }
    co_return HandleResult::noreply();
  }

  // terminate_children/2: every child at once.
  Task<> terminate(Ctx ctx, Term) override {
    std::vector<std::pair<std::uint64_t, Shutdown>> all;
    for (const auto& [id, c] : children_) {
      if (!c.restarting) all.emplace_back(id, c.spec.shutdown);
    }
    children_.clear();
    co_await terminate_all(ctx, all);
  }

 private:
  Task<Term> handle_start_child(Ctx ctx, ChildSpec spec) {
    if (options_.max_children >= 0 && static_cast<std::int64_t>(children_.size()) >= options_.max_children) {
      co_return error(Term(a("max_children")));
    }
    Term result = co_await start(ctx, spec);
    if ((result.is_tagged(sa::ok(), 2) || result.is_tagged(sa::ok(), 3)) && result[1].is_pid()) {
      children_.emplace(result[1].pid().id, Child{std::move(spec), false});
    }
    co_return result;  // verbatim, {error, {already_started, Pid}} included
  }

  Task<Term> start(Ctx ctx, const ChildSpec& spec) {
    StartFn fn = spec.start;
    try {
      co_return co_await fn(ctx);
    } catch (const sim::ExitException& e) {
      co_return error(e.reason);
    } catch (const std::exception& e) {
      co_return error(sim::tuple(sa::exception(), Term::string(e.what())));
    }
  }

  // maybe_restart_child/5.
  Task<std::optional<Term>> maybe_restart_child(Ctx ctx, std::uint64_t pid, Term reason) {
    const Restart r = children_.at(pid).spec.restart;
    if (r == Restart::temporary || (r == Restart::transient && is_normal_exit(reason))) {
      children_.erase(pid);
      co_return std::nullopt;
    }
    co_return co_await restart_child(ctx, pid);
  }

  Task<std::optional<Term>> restart_child(Ctx ctx, std::uint64_t pid) {
    if (add_restart(restarts_s_, ctx.now_us() / 1'000'000, options_.max_restarts, options_.max_seconds)) {
      children_.erase(pid);
      co_return Term(sa::shutdown());
    }
    Child child = std::move(children_.at(pid));
    children_.erase(pid);
    Term result = co_await start(ctx, child.spec);
    if ((result.is_tagged(sa::ok(), 2) || result.is_tagged(sa::ok(), 3)) && result[1].is_pid()) {
      child.restarting = false;
      children_.emplace(result[1].pid().id, std::move(child));
    } else if (!result.is(sa::ignore())) {
      // Keep it as restarting under its old pid and retry via a message.
      child.restarting = true;
      children_.emplace(pid, std::move(child));
      co_await ctx.send(ctx.self(), sim::tuple(a("$gen_restart"), Pid{pid}));
    }
    co_return std::nullopt;
  }

  // Monitor, unlink (and drop a queued EXIT), signal all, then wait for
  // every DOWN; children still alive when their shutdown time passes are killed.
  Task<> terminate_all(Ctx ctx, std::vector<std::pair<std::uint64_t, Shutdown>> targets) {
    std::map<std::uint64_t, Pid> waiting;  // monitor ref id -> pid
    std::map<std::uint64_t, Micros> deadlines;
    for (const auto& [id, how] : targets) {
      Pid pid{id};
      Ref m = co_await ctx.monitor(pid);
      co_await ctx.unlink(pid);
      (void)co_await ctx.receive([pid](const Term& t) { return t.is_tagged(sa::exit_tag(), 3) && t[1] == Term(pid); }, 0);
      Term signal(how.is_brutal_kill() ? sa::kill() : sa::shutdown());
      co_await ctx.exit(pid, signal);
      waiting.emplace(m.id, pid);
      if (!how.is_brutal_kill() && !how.is_infinity()) deadlines[m.id] = ctx.now_us() + how.timeout_us();
    }
    while (!waiting.empty()) {
      Micros next = sim::infinity_us;
      for (const auto& [ref, at] : deadlines) {
        if (next < 0 || at < next) next = at;
      }
      auto down = co_await ctx.receive([](const Term& t) { return t.is_tagged(sa::down_tag(), 5); },
                                       next < 0 ? sim::infinity_us : std::max<Micros>(0, next - ctx.now_us()));
      if (down) {
        waiting.erase((*down)[1].ref().id);
        deadlines.erase((*down)[1].ref().id);
        continue;
      }
      for (auto it = deadlines.begin(); it != deadlines.end();) {
        if (it->second <= ctx.now_us()) {
          co_await ctx.exit(waiting.at(it->first), Term(sa::kill()));
          it = deadlines.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  Options options_;
  std::map<std::uint64_t, Child> children_;  // by pid id: Elixir's map iterates pids in order
  std::deque<std::int64_t> restarts_s_;
};

}  // namespace

Task<Term> start_link(Ctx ctx, Options options, StartOptions start_options) {
  ServerFactory factory = [options] { return std::make_unique<DynamicServer>(options); };
  co_return co_await otp::start_link(ctx, factory, std::move(start_options));
}

Task<Term> start_child(Ctx ctx, ServerRef sup, ChildSpec spec) {
  Term handle = Term::opaque(std::make_shared<ChildSpec>(std::move(spec)), "child_spec");
  co_return co_await call(ctx, sup, sim::tuple(a("start_child"), handle), sim::infinity_us);
}
Task<Term> terminate_child(Ctx ctx, ServerRef sup, Pid child) {
  co_return co_await call(ctx, sup, sim::tuple(a("terminate_child"), child), sim::infinity_us);
}
Task<Term> which_children(Ctx ctx, ServerRef sup) {
  co_return co_await call(ctx, sup, Term(a("which_children")), sim::infinity_us);
}
Task<Term> count_children(Ctx ctx, ServerRef sup) {
  co_return co_await call(ctx, sup, Term(a("count_children")), sim::infinity_us);
}

}  // namespace otpsim::core::otp::dynamic_supervisor
