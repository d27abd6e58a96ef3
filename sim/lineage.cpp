#include "sim/lineage.hpp"

namespace otpsim::sim {

namespace {
constexpr std::uint64_t unknown_bit = std::uint64_t{1} << 62;  // below the channel bit (ids.hpp)
}  // namespace

void Lineage::start_run() {
  of_pid_.clear();
  children_.clear();
}

void Lineage::on_spawn(Pid parent, Pid child) {
  if (children_.size() <= parent.id) children_.resize(parent.id + 1, 0);
  const std::uint64_t ordinal = children_[parent.id]++;
  const std::uint64_t parent_id = parent ? stable(parent).id : 0;
  auto [it, fresh] = interned_.try_emplace({parent_id, ordinal}, interned_.size() + 1);
  if (of_pid_.size() <= child.id) of_pid_.resize(child.id + 1, 0);
  of_pid_[child.id] = it->second;
}

Pid Lineage::stable(Pid pid) const {
  if (!pid) return pid;
  if (is_channel_actor(pid)) {
    const Pid from{(pid.id >> 32) & 0x7fffffffULL};
    const Pid to{pid.id & 0xffffffffULL};
    return channel_actor(stable(from), stable(to));
  }
  if (pid.id < of_pid_.size() && of_pid_[pid.id] != 0) return Pid{of_pid_[pid.id]};
  return Pid{pid.id | unknown_bit};
}

StepInfo Lineage::stable(const StepInfo& step) const {
  StepInfo out = step;
  out.pid = stable(step.pid);
  out.from = stable(step.from);
  if (out.object.kind == StepObject::Kind::process || out.object.kind == StepObject::Kind::self) {
    out.object.id = stable(Pid{step.object.id}).id;
  }
  if (out.also.kind == StepObject::Kind::process) out.also.id = stable(Pid{step.also.id}).id;
  return out;
}

}  // namespace otpsim::sim
