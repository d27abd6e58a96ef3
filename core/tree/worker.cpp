// The interpreter of declared behaviours (worker.hpp).
#include "core/tree/worker.hpp"

#include <optional>

#include "core/otp/dynamic_supervisor.hpp"
#include "core/otp/registry.hpp"
#include "core/otp/task.hpp"
#include "core/system.hpp"

namespace otpsim::core::tree {

using sim::Atom;
using sim::Ctx;
using sim::ExitException;
using sim::Pid;
using sim::Task;
using K = Step::Kind;
namespace sa = sim::atoms;

namespace {

Atom a(const char* text) { return Atom(text); }
Term nil() { return Term(Atom("nil")); }
Term exit_tuple(Term reason) { return sim::tuple(a("exit"), std::move(reason)); }

bool is_variable(const Term& t) {
  if (!t.is_atom()) return false;
  std::string_view text = t.atom().text();
  return text.size() > 1 && text[0] == '$';
}

std::string variable_name(const std::string& as) { return as.empty() || as[0] == '$' ? as : "$" + as; }

}  // namespace

/// Runs steps for one process: a declared worker, or a task's body.
class Interpreter {
 public:
  enum class Flow : std::uint8_t { next, end, stop, ignore };
  using Vars = std::map<std::string, Term>;

  Interpreter(System* system, const TreeSpec* tree, std::string path, Term arg)
      : system_(system), tree_(tree), path_(std::move(path)), arg_(std::move(arg)) {}

  /// Fresh variables for one callback.
  void begin(Ctx ctx, const Term* message) {
    vars.clear();
    vars["$self"] = Term(ctx.self());
    vars["$arg"] = arg_;
    if (message != nullptr) vars["$msg"] = *message;
    from.reset();
    pending_reply.reset();
    stop_reason = Term(sa::normal());
  }

  /// The clause of `clauses` whose pattern matches `value`, its bindings
  /// added to the variables; nullptr if none.
  const Clause* pick(const std::vector<Clause>& clauses, const Term& value) {
    for (const Clause& c : clauses) {
      Vars bound;
      if (match(c.pattern, value, bound)) {
        for (auto& [name, v] : bound) vars[name] = std::move(v);
        return &c;
      }
    }
    return nullptr;
  }

  Task<Flow> run(Ctx ctx, const std::vector<Step>* steps) {
    for (const Step& s : *steps) {
      Flow flow = co_await step(ctx, &s);
      if (flow != Flow::next) co_return flow;
    }
    co_return Flow::next;
  }

  Vars vars;
  std::map<Term, Term> state;
  std::optional<otp::From> from;     // in handle_call
  std::optional<Term> pending_reply;  // a reply step's value not sent yet
  Term stop_reason;

 private:
  Term value(const Term& v) const {
    if (is_variable(v)) {
      auto it = vars.find(std::string(v.atom().text()));
      if (it == vars.end()) throw ExitException{sim::tuple(a("unbound"), v)};
      return it->second;
    }
    if (v.is_tuple() || v.is_list()) {
      std::vector<Term> out;
      out.reserve(v.size());
      for (const Term& e : v.elements()) out.push_back(value(e));
      return v.is_tuple() ? Term::tuple(std::move(out)) : Term::list(std::move(out));
    }
    return v;
  }

  bool match(const Term& pattern, const Term& v, Vars& bound) const {
    if (pattern.is_atom("_")) return true;
    if (is_variable(pattern)) {
      std::string name(pattern.atom().text());
      if (auto it = vars.find(name); it != vars.end()) return it->second == v;
      if (auto it = bound.find(name); it != bound.end()) return it->second == v;
      bound.emplace(std::move(name), v);
      return true;
    }
    if ((pattern.is_tuple() && v.is_tuple()) || (pattern.is_list() && v.is_list())) {
      if (pattern.size() != v.size()) return false;
      for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (!match(pattern[i], v[i], bound)) return false;
      }
      return true;
    }
    return pattern == v;
  }

  void produce(const Step& s, Term result) {
    if (!s.as.empty()) vars[variable_name(s.as)] = result;
    vars["$result"] = std::move(result);
  }

  static Term table_failure(const Step& s) {
    if (s.catch_exit) return exit_tuple(Term(sa::badarg()));
    throw ExitException{Term(sa::badarg())};
  }

  otp::task::TaskFn task_body(const Step& s) const {
    auto body = std::make_shared<Interpreter>(system_, tree_, path_, arg_);
    body->vars = vars;
    const std::vector<Step>* steps = &s.steps;
    return [body, steps](Ctx t) { return run_body(t, body, steps); };
  }

  static Task<Term> run_body(Ctx ctx, std::shared_ptr<Interpreter> body, const std::vector<Step>* steps) {
    body->vars["$self"] = Term(ctx.self());
    body->vars.erase("$result");
    Flow flow = co_await body->run(ctx, steps);
    if (flow == Flow::stop) ctx.exit(body->stop_reason);
    auto it = body->vars.find("$result");
    co_return it == body->vars.end() ? nil() : it->second;
  }

  Task<Flow> step(Ctx ctx, const Step* sp) {
    const Step& s = *sp;
    if (pending_reply && s.kind != K::stop) {  // a reply followed by more work: GenServer.reply now
      Term r = std::move(*pending_reply);
      pending_reply.reset();
      co_await otp::reply(ctx, *from, std::move(r));
    }
    switch (s.kind) {
      case K::reply:
        if (!from) ctx.exit(sim::tuple(a("bad_step"), a("reply")));
        pending_reply = value(s.value);
        co_return Flow::next;
      case K::noreply: co_return Flow::end;
      case K::stop: stop_reason = value(s.reason); co_return Flow::stop;
      case K::ignore: co_return Flow::ignore;
      case K::crash: ctx.exit(value(s.reason));
      case K::sleep: co_await ctx.sleep(s.timeout_us); co_return Flow::next;
      case K::trap_exit: ctx.trap_exit(true); co_return Flow::next;
      case K::match: {
        Term subject = value(s.value);
        const Clause* c = pick(s.clauses, subject);
        if (c == nullptr) ctx.exit(sim::tuple(a("case_clause"), subject));
        co_return co_await run(ctx, &c->steps);
      }
      case K::set: vars[variable_name(s.as)] = value(s.value); co_return Flow::next;
      case K::state_put: state[value(s.key)] = value(s.value); co_return Flow::next;
      case K::state_get: {
        auto it = state.find(value(s.key));
        produce(s, it == state.end() ? nil() : it->second);
        co_return Flow::next;
      }
      case K::call: {
        otp::ServerRef to = address_of(value(s.to));
        Term request = value(s.value);
        Term result;
        if (!s.catch_exit) {
          result = co_await otp::call(ctx, to, std::move(request), s.timeout_us);
        } else {
          try {
            result = co_await otp::call(ctx, to, std::move(request), s.timeout_us);
          } catch (const ExitException& e) {
            result = exit_tuple(e.reason);
          }
        }
        produce(s, std::move(result));
        co_return Flow::next;
      }
      case K::cast: {
        otp::ServerRef to = address_of(value(s.to));
        co_await otp::cast(ctx, to, value(s.value));
        co_return Flow::next;
      }
      case K::send: {
        Term to = value(s.to);
        Term message = value(s.value);
        if (to.is_atom()) {
          co_await ctx.send(to.atom(), std::move(message));
        } else {
          Pid pid = co_await otp::whereis(ctx, address_of(to));
          if (!pid) ctx.exit(Term(sa::badarg()));
          co_await ctx.send(pid, std::move(message));
        }
        co_return Flow::next;
      }
      case K::send_after: {
        sim::Ref timer = co_await ctx.send_after(s.timeout_us, ctx.self(), value(s.value));
        produce(s, Term(timer));
        co_return Flow::next;
      }
      case K::register_name: {
        Term name = value(s.to);
        if (!name.is_atom()) ctx.exit(Term(sa::badarg()));
        if (!co_await ctx.register_name(name.atom(), ctx.self())) ctx.exit(Term(sa::badarg()));
        co_return Flow::next;
      }
      case K::registry_register: {
        Term result = co_await otp::registry::register_key(ctx, Atom(s.registry), value(s.key), value(s.value));
        produce(s, std::move(result));
        co_return Flow::next;
      }
      case K::registry_lookup: {
        auto rows = co_await otp::registry::lookup(ctx, Atom(s.registry), value(s.key));
        std::vector<Term> out;
        for (auto& [pid, v] : rows) out.push_back(sim::tuple(pid, v));
        produce(s, Term::list(std::move(out)));
        co_return Flow::next;
      }
      case K::whereis: {
        Pid pid = co_await otp::whereis(ctx, address_of(value(s.to)));
        produce(s, pid ? Term(pid) : nil());
        co_return Flow::next;
      }
      case K::table_new: {
        Pid heir;
        if (!s.heir.empty()) {
          heir = co_await ctx.whereis(Atom(s.heir));
          if (!heir) ctx.exit(Term(sa::badarg()));  // ets:new with {heir, nil, _}
        }
        auto made = co_await ctx.table_new(sim::TableOptions(sim::TableAccess::public_access, Term(Atom(s.table)), heir));
        if (!made.ok()) ctx.exit(Term(sa::badarg()));  // the name is taken
        ctx.emit(sim::tuple(a("table_new"), Term(Atom(s.table))));  // for rows_survive (properties.hpp)
        produce(s, Term(Atom(s.table)));
        co_return Flow::next;
      }
      case K::table_insert: {
        Term key = value(s.key);
        Term row_value = value(s.value);
        auto status = co_await ctx.insert(Atom(s.table), sim::tuple(key, row_value));
        if (status == sim::TableStatus::ok) ctx.emit(sim::tuple(a("table_insert"), Term(Atom(s.table)), key, row_value));
        produce(s, status == sim::TableStatus::ok ? Term(Atom("true")) : table_failure(s));
        co_return Flow::next;
      }
      case K::table_lookup: {
        auto row = co_await ctx.lookup(Atom(s.table), value(s.key));
        if (!row.ok()) {
          produce(s, table_failure(s));
        } else {
          produce(s, row.value ? sim::list(*row.value) : Term::list(std::vector<Term>()));
        }
        co_return Flow::next;
      }
      case K::table_delete: {
        Term key = value(s.key);
        auto status = co_await ctx.erase(Atom(s.table), key);
        if (status == sim::TableStatus::ok) ctx.emit(sim::tuple(a("table_delete"), Term(Atom(s.table)), key));
        produce(s, status == sim::TableStatus::ok ? Term(Atom("true")) : table_failure(s));
        co_return Flow::next;
      }
      case K::start_child: {
        const Node* tmpl = &tree_->templates.at(s.child);
        Term arg = value(s.value);
        otp::ChildSpec spec = node_child_spec(system_, tree_, tmpl, dynamic_child_path(s.sup, s.child, arg), arg);
        Term result = co_await otp::dynamic_supervisor::start_child(ctx, supervisor_ref(*tree_, s.sup), std::move(spec));
        produce(s, std::move(result));
        co_return Flow::next;
      }
      case K::task_async: {
        otp::task::TaskFn fn = task_body(s);
        Term result;
        if (!s.catch_exit) {
          otp::task::TaskRef t = co_await otp::task::async(ctx, std::move(fn));
          result = co_await otp::task::await(ctx, t, s.timeout_us);
        } else {
          try {
            otp::task::TaskRef t = co_await otp::task::async(ctx, std::move(fn));
            result = co_await otp::task::await(ctx, t, s.timeout_us);
          } catch (const ExitException& e) {
            result = exit_tuple(e.reason);
          }
        }
        produce(s, std::move(result));
        co_return Flow::next;
      }
      case K::task_async_nolink: {
        otp::task::TaskFn fn = task_body(s);
        otp::task::TaskRef t =
            co_await otp::task::async_nolink(ctx, supervisor_ref(*tree_, s.sup), std::move(fn), label_of_path(*tree_, s.sup) + "/task");
        std::optional<Term> r = co_await otp::task::yield(ctx, t, s.timeout_us);
        produce(s, r ? std::move(*r) : nil());
        co_return Flow::next;
      }
      case K::task_start_child: {
        otp::task::TaskFn fn = task_body(s);
        Term result = co_await otp::task::start_child(ctx, supervisor_ref(*tree_, s.sup), std::move(fn), label_of_path(*tree_, s.sup) + "/task");
        produce(s, std::move(result));
        co_return Flow::next;
      }
    }
    ctx.exit(sim::tuple(a("bad_step"), Term(static_cast<std::int64_t>(s.kind))));
  }

  System* system_;
  const TreeSpec* tree_;
  std::string path_;
  Term arg_;
};

// -- DeclaredWorker --

DeclaredWorker::DeclaredWorker(System* system, const TreeSpec* tree, const Behaviour* behaviour, std::string path,
                               Term arg)
    : behaviour_(behaviour), path_(path), interp_(std::make_unique<Interpreter>(system, tree, std::move(path), std::move(arg))) {}

DeclaredWorker::~DeclaredWorker() = default;

Task<otp::InitResult> DeclaredWorker::init(Ctx ctx) {
  interp_->begin(ctx, nullptr);
  Interpreter::Flow flow = co_await interp_->run(ctx, &behaviour_->init);
  if (flow == Interpreter::Flow::ignore) co_return otp::InitResult::ignore();
  if (flow == Interpreter::Flow::stop) co_return otp::InitResult::stop(interp_->stop_reason);
  co_return otp::InitResult::ok();
}

Task<otp::CallResult> DeclaredWorker::handle_call(Ctx ctx, Term request, otp::From from) {
  if (behaviour_->calls.empty()) co_return co_await GenServer::handle_call(ctx, std::move(request), from);
  interp_->begin(ctx, &request);
  interp_->from = from;
  const Clause* clause = interp_->pick(behaviour_->calls, request);
  if (clause == nullptr) ctx.exit(Term(a("function_clause")));
  Interpreter::Flow flow = co_await interp_->run(ctx, &clause->steps);
  if (flow == Interpreter::Flow::ignore) ctx.exit(sim::tuple(a("bad_step"), a("ignore")));
  std::optional<Term> reply = std::move(interp_->pending_reply);
  interp_->pending_reply.reset();
  if (flow == Interpreter::Flow::stop) {
    if (reply) co_return otp::CallResult::stop(interp_->stop_reason, std::move(*reply));
    co_return otp::CallResult::stop(interp_->stop_reason);
  }
  if (reply) co_return otp::CallResult::reply(std::move(*reply));
  co_return otp::CallResult::noreply();
}

namespace {

/// handle_cast and handle_info: the clause's flow as a HandleResult.
otp::HandleResult handled(Ctx ctx, Interpreter::Flow flow, const Term& reason) {
  if (flow == Interpreter::Flow::ignore) ctx.exit(sim::tuple(a("bad_step"), a("ignore")));
  if (flow == Interpreter::Flow::stop) return otp::HandleResult::stop(reason);
  return otp::HandleResult::noreply();
}

}  // namespace

Task<otp::HandleResult> DeclaredWorker::handle_cast(Ctx ctx, Term message) {
  if (behaviour_->casts.empty()) co_return co_await GenServer::handle_cast(ctx, std::move(message));
  interp_->begin(ctx, &message);
  const Clause* clause = interp_->pick(behaviour_->casts, message);
  if (clause == nullptr) ctx.exit(Term(a("function_clause")));
  Interpreter::Flow flow = co_await interp_->run(ctx, &clause->steps);
  co_return handled(ctx, flow, interp_->stop_reason);
}

Task<otp::HandleResult> DeclaredWorker::handle_info(Ctx ctx, Term message) {
  if (behaviour_->infos.empty()) {  // Elixir's default handle_info: logged, ignored
    ctx.emit(sim::tuple(a("unhandled"), Term::string(path_), message));
    co_return otp::HandleResult::noreply();
  }
  interp_->begin(ctx, &message);
  const Clause* clause = interp_->pick(behaviour_->infos, message);
  if (clause == nullptr) ctx.exit(Term(a("function_clause")));
  Interpreter::Flow flow = co_await interp_->run(ctx, &clause->steps);
  co_return handled(ctx, flow, interp_->stop_reason);
}

Task<> DeclaredWorker::terminate(Ctx ctx, Term reason) {
  interp_->begin(ctx, &reason);
  (void)co_await interp_->run(ctx, &behaviour_->terminate);
}

// -- addresses and names --

Atom supervisor_name(const Node& node, std::string_view path) {
  return Atom(node.name.empty() ? path : std::string_view(node.name));
}

otp::ServerRef supervisor_ref(const TreeSpec& tree, std::string_view path) {
  const Node* node = tree.find(path);
  if (node == nullptr) throw ExitException{sim::tuple(a("no_node"), Term::string(path))};
  return otp::ServerRef(otp::ServerName::local(supervisor_name(*node, path)));
}

otp::ServerRef address_of(const Term& to) {
  if (to.is_pid()) return otp::ServerRef(to.pid());
  if (to.is_atom()) return otp::ServerRef(otp::ServerName::local(to.atom()));
  if (to.is_tagged(Atom("via"), 3) && to[1].is_atom()) return otp::ServerRef(otp::ServerName::via(to[1].atom(), to[2]));
  throw ExitException{sim::tuple(sa::badarg(), to)};
}

std::string arg_text(const Term& arg) { return arg.is_string() ? std::string(arg.string_value()) : arg.to_string(); }

std::string dynamic_child_path(std::string_view sup_path, std::string_view template_id, const Term& arg) {
  std::string path(sup_path);
  path += '/';
  path += template_id;
  path += ':';
  path += arg_text(arg);
  return path;
}

std::string label_of(const Node& node, std::string_view path, std::string_view arg) {
  if (node.label.empty()) return std::string(path);
  std::string label = node.label;
  for (std::size_t at = label.find("$arg"); at != std::string::npos; at = label.find("$arg", at + arg.size())) {
    label.replace(at, 4, arg);
  }
  return label;
}

std::string label_of_path(const TreeSpec& tree, std::string_view path) {
  const Node* node = tree.find(path);
  if (node == nullptr) return std::string(path);
  // Ids have no ':': the first one opens a template child's arg.
  if (std::size_t colon = path.find(':'); colon != std::string_view::npos) {
    return label_of(*node, path, path.substr(colon + 1));
  }
  return label_of(*node, path, arg_text(node->arg));
}

}  // namespace otpsim::core::tree
