// DeclaredWorker: a gen_server (core/otp) that interprets a declared
// Behaviour (spec.hpp), and the pieces of the runtime it shares with
// runtime.cpp (addresses, names, child specs).
//
// Semantics (spec.hpp says what each step does):
// - Each callback runs its steps with fresh variables: $self, $arg, $msg
//   (in terminate: the reason), then what patterns and `as` bind. The state
//   map (state_put/state_get) lives as long as the process.
// - handle_call: a `reply` ends up as {reply, V, S} if nothing but the
//   clause's end or a `stop` follows it ({stop, R, V, S}); any other step
//   after it sends it first (GenServer.reply). Without a reply the call
//   gets none ({noreply, S}).
// - No clause for a category: Elixir's defaults ({bad_call, Req},
//   {bad_cast, Msg}; an info is ignored and the worker emits
//   {unhandled, Path, Msg}, Path a string). Clauses but none matching:
//   the worker exits function_clause.
// - Crashes: a match with no matching clause {case_clause, V}, an unbound
//   variable {unbound, '$NAME'}, a table operation on a missing table
//   badarg, a step that makes no sense where it runs (reply outside
//   handle_call, ignore in a message clause) {bad_step, Kind}.
// - A task's body (task_*) runs in the task with a copy of the variables,
//   its own empty state map and $self the task; noreply and ignore end the
//   body, stop exits the task with the reason. Its result is the body's
//   $result (nil if it set none).
// - terminate's steps see the reason as $msg.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/otp/supervisor.hpp"
#include "core/tree/spec.hpp"

namespace otpsim::core {
class System;
}

namespace otpsim::core::tree {

class Interpreter;

class DeclaredWorker final : public otp::GenServer {
 public:
  DeclaredWorker(System* system, const TreeSpec* tree, const Behaviour* behaviour, std::string path, Term arg);
  ~DeclaredWorker() override;
  sim::Task<otp::InitResult> init(sim::Ctx ctx) override;
  sim::Task<otp::CallResult> handle_call(sim::Ctx ctx, Term request, otp::From from) override;
  sim::Task<otp::HandleResult> handle_cast(sim::Ctx ctx, Term message) override;
  sim::Task<otp::HandleResult> handle_info(sim::Ctx ctx, Term message) override;
  sim::Task<> terminate(sim::Ctx ctx, Term reason) override;

 private:
  const Behaviour* behaviour_;
  std::string path_;
  std::unique_ptr<Interpreter> interp_;
};

/// The local name an unnamed DynamicSupervisor or Task.Supervisor is
/// registered under, so steps can address it: its path as an atom
/// ('top/sessions'). A named one keeps its name.
sim::Atom supervisor_name(const Node& node, std::string_view path);
/// The address of the supervisor node at `path` (start_child, task steps).
otp::ServerRef supervisor_ref(const TreeSpec& tree, std::string_view path);
/// A process address as a step or a client writes it: a pid, an atom (a
/// local name) or {via, Registry, Key}. Anything else exits badarg.
otp::ServerRef address_of(const Term& to);
/// An arg as paths and labels print it: Term::to_string, but a string
/// without quotes.
std::string arg_text(const Term& arg);
/// The path of a template child: "<sup path>/<template id>:<arg>".
std::string dynamic_child_path(std::string_view sup_path, std::string_view template_id, const Term& arg);
/// The kernel label of the process of `node` at `path`: its path, or its
/// declared label (Node::label) with every "$arg" replaced by `arg`.
std::string label_of(const Node& node, std::string_view path, std::string_view arg);
/// label_of for the node a path names (a template child's arg read from
/// the path); the path itself if it names no node.
std::string label_of_path(const TreeSpec& tree, std::string_view path);

/// The child spec of `node` at `path` started with `arg` (runtime.cpp).
otp::ChildSpec node_child_spec(System* system, const TreeSpec* tree, const Node* node, std::string path, Term arg);

}  // namespace otpsim::core::tree
