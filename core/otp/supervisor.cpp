// supervisor.erl on the kernel. Each rule is one function named after the
// supervisor.erl function it models.
#include "core/otp/supervisor.hpp"

#include <algorithm>
#include <memory>
#include <optional>

namespace otpsim::core::otp {

namespace sa = sim::atoms;
namespace {

Atom a(const char* text) { return Atom(text); }
Term ok() { return Term(sa::ok()); }
Term error(Term reason) { return sim::tuple(sa::error(), std::move(reason)); }

bool is_normal_exit(const Term& reason) {  // normal, shutdown, {shutdown, _}
  return reason.is(sa::normal()) || reason.is(sa::shutdown()) || reason.is_tagged(sa::shutdown(), 2);
}

Term type_atom(ChildType t) { return Term(t == ChildType::worker ? a("worker") : a("supervisor")); }

Term restart_atom(Restart r) {
  switch (r) {
    case Restart::permanent: return Term(a("permanent"));
    case Restart::transient: return Term(a("transient"));
    case Restart::temporary: return Term(a("temporary"));
  }
  return Term(sa::undefined());
}

Term shutdown_term(Shutdown s) {
  if (s.is_brutal_kill()) return Term(a("brutal_kill"));
  if (s.is_infinity()) return Term(sa::infinity());
  return Term(s.timeout_us() / 1000);
}

// supervisor.erl's #child{pid, id, mfargs, restart_type, significant,
// shutdown, child_type, modules} as a tuple; the start function stands in
// for {M, F, A}.
Term child_record(const ChildSpec& spec) {
  Term start = Term::opaque(std::make_shared<StartFn>(spec.start), "start_fn");
  return sim::tuple(a("child"), sa::undefined(), spec.id, start, restart_atom(spec.restart), a("false"),
                    shutdown_term(spec.shutdown), type_atom(spec.type), Term::list(std::vector<Term>()));
}

}  // namespace

bool add_restart(std::deque<std::int64_t>& restarts_s, std::int64_t now_s, int intensity, int period_s) {
  // add_restart/3: keep R >= Now - Period (newest first), then add Now.
  while (!restarts_s.empty() && restarts_s.back() < now_s - period_s) restarts_s.pop_back();
  restarts_s.push_front(now_s);
  return static_cast<int>(restarts_s.size()) > intensity;
}

namespace {

struct Child {
  enum class State : std::uint8_t { running, undefined, restarting };
  ChildSpec spec;
  Pid pid;
  State state = State::undefined;
};

class SupervisorServer final : public GenServer {
 public:
  SupervisorServer(SupervisorFlags flags, std::vector<ChildSpec> specs) : flags_(flags), initial_(std::move(specs)) {}

  // init/1: trap exits, start the children in order; a failure stops the
  // ones already started and fails the supervisor's own start.
  Task<InitResult> init(Ctx ctx) override {
    ctx.trap_exit(true);
    if (flags_.init_hook) {
      auto hook = flags_.init_hook;
      co_await hook(ctx);
    }
    for (ChildSpec& spec : initial_) children_.push_back(Child{std::move(spec), {}, Child::State::undefined});
    initial_.clear();
    for (std::size_t i = 0; i < children_.size(); ++i) {
      Term result = co_await do_start_child(ctx, children_[i]);
      if (result.is_tagged(sa::error(), 2)) {
        co_await terminate_children(ctx, 0, i);
        co_return InitResult::stop(sim::tuple(sa::shutdown(), sim::tuple(a("failed_to_start_child"),
                                                                          children_[i].spec.id, result[1])));
      }
      if (children_[i].state == Child::State::undefined && children_[i].spec.restart == Restart::temporary) {
        children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));  // ignore'd temporary: gone
        --i;
      }
    }
    co_return InitResult::ok();
  }

  Task<HandleResult> handle_info(Ctx ctx, Term message) override {
    if (message.is_tagged(sa::exit_tag(), 3) && message[1].is_pid()) {
      auto stop = co_await restart_child_on_exit(ctx, message[1].pid(), message[2]);
      if (stop) co_return HandleResult::stop(*stop);
    }
    co_return HandleResult::noreply();
  }

  Task<HandleResult> handle_cast(Ctx ctx, Term message) override {
    // {try_again_restart, Id}: retry only if the child is still restarting.
    if (message.is_tagged(a("try_again_restart"), 2)) {
      auto i = index_of(message[1]);
      if (i && children_[*i].state == Child::State::restarting) {
        auto stop = co_await restart(ctx, *i);
        if (stop) co_return HandleResult::stop(*stop);
      }
    }
    co_return HandleResult::noreply();
  }

  Task<CallResult> handle_call(Ctx ctx, Term request, From) override {
    if (request.is_atom("which_children")) co_return CallResult::reply(which_children());
    if (request.is_atom("count_children")) co_return CallResult::reply(count_children());
    if (request.is_tagged(a("start_child"), 2)) {
      co_return CallResult::reply(co_await handle_start_child(ctx, *request[1].opaque_as<ChildSpec>()));
    }
    if (request.is_tagged(a("terminate_child"), 2)) {
      auto i = index_of(request[1]);
      if (!i) co_return CallResult::reply(error(Term(a("not_found"))));
      co_await shutdown_child(ctx, children_[*i]);
      if (children_[*i].spec.restart == Restart::temporary) erase(*i);
      co_return CallResult::reply(ok());
    }
    if (request.is_tagged(a("restart_child"), 2)) {
      auto i = index_of(request[1]);
      if (!i) co_return CallResult::reply(error(Term(a("not_found"))));
      if (children_[*i].state == Child::State::running) co_return CallResult::reply(error(Term(a("running"))));
      if (children_[*i].state == Child::State::restarting) co_return CallResult::reply(error(Term(a("restarting"))));
      co_return CallResult::reply(co_await do_start_child(ctx, children_[*i]));
    }
    if (request.is_tagged(a("delete_child"), 2)) {
      auto i = index_of(request[1]);
      if (!i) co_return CallResult::reply(error(Term(a("not_found"))));
      if (children_[*i].state == Child::State::running) co_return CallResult::reply(error(Term(a("running"))));
      if (children_[*i].state == Child::State::restarting) co_return CallResult::reply(error(Term(a("restarting"))));
      erase(*i);
      co_return CallResult::reply(ok());
    }
    co_return CallResult::reply(error(Term(a("bad_request"))));
  }

  // terminate/2: stop every child, newest first.
  Task<> terminate(Ctx ctx, Term) override { co_await terminate_children(ctx, 0, children_.size()); }

 private:
  std::optional<std::size_t> index_of(const Term& id) const {
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].spec.id == id) return i;
    }
    return std::nullopt;
  }
  std::optional<std::size_t> index_of(Pid pid) const {
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].state == Child::State::running && children_[i].pid == pid) return i;
    }
    return std::nullopt;
  }
  void erase(std::size_t i) { children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i)); }

  // do_start_child_i/3: {ok, Pid} / {ok, Pid, Info} start it; ignore leaves
  // it undefined; anything else, or an exception, is {error, _}.
  Task<Term> do_start_child(Ctx ctx, Child& child) {
    StartFn start = child.spec.start;  // the spec may move while we wait
    Term result;
    std::exception_ptr failed;
    try {
      result = co_await start(ctx);
    } catch (const sim::ExitException& e) {
      result = error(e.reason);
    } catch (const std::exception& e) {
      result = error(sim::tuple(sa::exception(), Term::string(e.what())));
    }
    if ((result.is_tagged(sa::ok(), 2) || result.is_tagged(sa::ok(), 3)) && result[1].is_pid()) {
      child.pid = result[1].pid();
      child.state = Child::State::running;
      co_return result;
    }
    child.pid = Pid{};
    child.state = Child::State::undefined;
    if (result.is(sa::ignore())) co_return sim::tuple(sa::ok(), sa::undefined());
    if (result.is_tagged(sa::error(), 2)) co_return result;
    co_return error(result);
  }

  // handle_start_child/2.
  Task<Term> handle_start_child(Ctx ctx, ChildSpec spec) {
    if (auto i = index_of(spec.id)) {
      if (children_[*i].state == Child::State::running) {
        co_return error(sim::tuple(a("already_started"), children_[*i].pid));
      }
      co_return error(Term(a("already_present")));
    }
    children_.push_back(Child{std::move(spec), {}, Child::State::undefined});
    Term result = co_await do_start_child(ctx, children_.back());
    if (result.is_tagged(sa::error(), 2)) {
      // handle_start_child/2: {error, {already_started, P}} passes through
      // unwrapped; any other {error, What} becomes {error, {What, Child}},
      // Child being the #child record, and the spec is not kept
      // (golden/child_api.txt: `start_child_c4_init_stop {error,{bad,childspec}}`).
      Term child = child_record(children_.back().spec);
      children_.pop_back();
      if (result[1].is_tagged(a("already_started"), 2)) co_return result;
      co_return error(sim::tuple(result[1], std::move(child)));
    }
    if (children_.back().state == Child::State::undefined && children_.back().spec.restart == Restart::temporary) {
      children_.pop_back();
    }
    co_return result;
  }

  // restart_child/3 + do_restart/3: what an exit means for the child.
  // Returns the supervisor's stop reason when intensity is exceeded.
  Task<std::optional<Term>> restart_child_on_exit(Ctx ctx, Pid pid, Term reason) {
    auto i = index_of(pid);
    if (!i) co_return std::nullopt;  // not a child: ignored
    Child& child = children_[*i];
    child.pid = Pid{};
    child.state = Child::State::undefined;
    const Restart r = child.spec.restart;
    if (r == Restart::temporary) {
      erase(*i);
      co_return std::nullopt;
    }
    if (r == Restart::transient && is_normal_exit(reason)) co_return std::nullopt;
    co_return co_await restart(ctx, *i);
  }

  // restart/2: count the restart first; over the limit, give up.
  Task<std::optional<Term>> restart(Ctx ctx, std::size_t i) {
    const std::int64_t now_s = ctx.now_us() / 1'000'000;
    if (add_restart(restarts_s_, now_s, flags_.intensity, flags_.period_s)) {
      // reached_max_restart_intensity: the failed child is left out and
      // terminate/2 stops the rest.
      children_[i].state = Child::State::undefined;
      co_return Term(sa::shutdown());
    }
    switch (flags_.strategy) {
      case Strategy::one_for_one: co_await restart_one_for_one(ctx, i); break;
      case Strategy::rest_for_one: co_await restart_multiple(ctx, i, i); break;
      case Strategy::one_for_all: co_await restart_multiple(ctx, 0, i); break;
    }
    co_return std::nullopt;
  }

  Task<> restart_one_for_one(Ctx ctx, std::size_t i) {
    Term result = co_await do_start_child(ctx, children_[i]);
    if (result.is_tagged(sa::error(), 2)) co_await try_again_later(ctx, i);
  }

  // restart_multiple_children/3: stop children [from, end) newest first
  // (the failed one is already down), drop temporaries, then start the
  // rest in order; the first failure is retried later from there.
  Task<> restart_multiple(Ctx ctx, std::size_t from, std::size_t failed) {
    co_await terminate_children(ctx, from, children_.size());
    for (std::size_t j = children_.size(); j-- > from;) {
      if (children_[j].spec.restart == Restart::temporary) {
        erase(j);
        if (j < failed) --failed;
      }
    }
    (void)failed;
    for (std::size_t j = from; j < children_.size(); ++j) {
      Term result = co_await do_start_child(ctx, children_[j]);
      if (result.is_tagged(sa::error(), 2)) {
        co_await try_again_later(ctx, j);
        co_return;
      }
    }
  }

  // try_again_restart: mark it restarting and cast ourselves a retry, so
  // requests already queued (a shutdown, terminate_child) are served first.
  Task<> try_again_later(Ctx ctx, std::size_t i) {
    children_[i].state = Child::State::restarting;
    co_await cast(ctx, ServerRef(ctx.self()), sim::tuple(a("try_again_restart"), children_[i].spec.id));
  }

  // terminate_children/2 over [from, to): newest first, one at a time.
  Task<> terminate_children(Ctx ctx, std::size_t from, std::size_t to) {
    for (std::size_t j = to; j-- > from;) co_await shutdown_child(ctx, children_[j]);
  }

  // shutdown/1: monitor; brutal_kill kills; otherwise exit(shutdown), wait
  // for DOWN up to the timeout, then kill. The link stays until DOWN; then
  // unlink and flush its EXIT (unlink_flush/2).
  Task<> shutdown_child(Ctx ctx, Child& child) {
    if (child.state != Child::State::running) {
      child.state = Child::State::undefined;
      co_return;
    }
    const Pid pid = child.pid;
    const Shutdown how = child.spec.shutdown;
    child.pid = Pid{};
    child.state = Child::State::undefined;
    Ref mref = co_await ctx.monitor(pid);
    auto is_down = [mref](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(mref); };
    if (how.is_brutal_kill()) {
      co_await ctx.exit(pid, Term(sa::kill()));
      (void)co_await ctx.receive(is_down);
    } else {
      co_await ctx.exit(pid, Term(sa::shutdown()));
      const Micros wait_us = how.is_infinity() ? sim::infinity_us : how.timeout_us();
      auto down = co_await ctx.receive(is_down, wait_us);
      if (!down) {
        co_await ctx.exit(pid, Term(sa::kill()));
        (void)co_await ctx.receive(is_down);
      }
    }
    co_await ctx.unlink(pid);
    (void)co_await ctx.receive(
        [pid](const Term& m) { return m.is_tagged(sa::exit_tag(), 3) && m[1] == Term(pid); }, 0);
  }

  // Newest first, as supervisor.erl keeps its ids.
  Term which_children() const {
    std::vector<Term> out;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      const Child& c = *it;
      Term state = c.state == Child::State::running      ? Term(c.pid)
                   : c.state == Child::State::restarting ? Term(a("restarting"))
                                                         : Term(sa::undefined());
      out.push_back(sim::tuple(c.spec.id, state, type_atom(c.spec.type)));
    }
    return Term::list(std::move(out));
  }

  Term count_children() const {
    std::int64_t active = 0, supervisors = 0, workers = 0;
    for (const Child& c : children_) {
      if (c.state == Child::State::running) ++active;
      (c.spec.type == ChildType::supervisor ? supervisors : workers)++;
    }
    return sim::list(sim::tuple(a("active"), active), sim::tuple(a("specs"), static_cast<std::int64_t>(children_.size())),
                     sim::tuple(a("supervisors"), supervisors), sim::tuple(a("workers"), workers));
  }

  SupervisorFlags flags_;
  std::vector<ChildSpec> initial_;
  std::vector<Child> children_;  // in start order
  std::deque<std::int64_t> restarts_s_;
};

}  // namespace

namespace supervisor {

Task<Term> start_link(Ctx ctx, SupervisorFlags flags, std::vector<ChildSpec> children, StartOptions options) {
  auto specs = std::make_shared<std::vector<ChildSpec>>(std::move(children));
  ServerFactory factory = [flags, specs] { return std::make_unique<SupervisorServer>(flags, *specs); };
  co_return co_await otp::start_link(ctx, factory, std::move(options));
}

Task<Term> which_children(Ctx ctx, ServerRef sup) {
  co_return co_await call(ctx, sup, Term(a("which_children")), sim::infinity_us);
}
Task<Term> count_children(Ctx ctx, ServerRef sup) {
  co_return co_await call(ctx, sup, Term(a("count_children")), sim::infinity_us);
}
Task<Term> start_child(Ctx ctx, ServerRef sup, ChildSpec spec) {
  Term handle = Term::opaque(std::make_shared<ChildSpec>(std::move(spec)), "child_spec");
  co_return co_await call(ctx, sup, sim::tuple(a("start_child"), handle), sim::infinity_us);
}
Task<Term> terminate_child(Ctx ctx, ServerRef sup, Term id) {
  co_return co_await call(ctx, sup, sim::tuple(a("terminate_child"), std::move(id)), sim::infinity_us);
}
Task<Term> restart_child(Ctx ctx, ServerRef sup, Term id) {
  co_return co_await call(ctx, sup, sim::tuple(a("restart_child"), std::move(id)), sim::infinity_us);
}
Task<Term> delete_child(Ctx ctx, ServerRef sup, Term id) {
  co_return co_await call(ctx, sup, sim::tuple(a("delete_child"), std::move(id)), sim::infinity_us);
}

}  // namespace supervisor
}  // namespace otpsim::core::otp
