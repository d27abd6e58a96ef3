// The tree runtime: runs a declared TreeSpec on core/otp. A TreeSystem is
// the System (core/system.hpp) of a declared tree: it starts the tree,
// runs its declared workers (worker.hpp) and native workers (native.hpp),
// resolves fault targets by path, and runs clients' calls.
//
// Every process it starts is labelled with its node's path (spec.hpp), or
// its declared Node::label, so the record of a run says which node each pid
// was (path_of_label). An unnamed DynamicSupervisor or Task.Supervisor is
// registered under its path as a local name, so steps can address it.
#pragma once

#include <string>
#include <string_view>

#include "core/system.hpp"
#include "core/tree/spec.hpp"

namespace otpsim::core::tree {

class TreeSystem : public System {
 public:
  /// `tree` must be valid (validate() == nullopt) and outlive the system.
  explicit TreeSystem(const TreeSpec* tree);
  sim::Task<sim::Term> start_link(sim::Ctx ctx) override;
  sim::Task<> client_op(sim::Ctx ctx, RunRecord* record, std::string client, const ClientOp* op) override;
  sim::Pid resolve(std::string_view target, sim::Kernel& kernel, const RunRecord& record,
                   std::string& why_not) override;
  bool names(std::string_view target, sim::Pid pid, const sim::Kernel& kernel, const RunRecord& record) const override;
  bool owns(const std::string& label) const override;
  const TreeSpec& tree() const { return *tree_; }

 private:
  const TreeSpec* tree_;
};

/// The child spec of `node` at `path` (its parent's path + "/" + id), as a
/// supervisor gets it: for a user embedding a declared subtree in a C++ tree.
otp::ChildSpec child_spec(System* system, const TreeSpec* tree, const Node* node, std::string path);

/// The tree path a process label names, else "": the label itself for a
/// process labelled by its path ("top/registry", "top/sessions/session:a");
/// through Node::label for a declared label ("ets_owner" -> "top/ets_owner";
/// a template's "app:$arg" -> "<sup>/app_server:x", the sup being the one
/// its first start_child step names, else the tree's first DynamicSupervisor);
/// "<label>/task" and "<label>/partition" follow their supervisor's; "task"
/// (Task.async) is itself.
std::string path_of_label(std::string_view label, const TreeSpec& tree);

}  // namespace otpsim::core::tree
