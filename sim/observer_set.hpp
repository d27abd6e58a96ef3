// Several observers on one kernel (the kernel holds one): a run record, a
// fault injector and a test's own checker, called in the order added.
#pragma once

#include <vector>

#include "sim/kernel.hpp"

namespace otpsim::sim {

class ObserverSet final : public Observer {
 public:
  void add(Observer* o) { observers_.push_back(o); }
  void on_spawn(Pid parent, Pid child, const std::string& label) override {
    for (Observer* o : observers_) o->on_spawn(parent, child, label);
  }
  void on_exit(Pid pid, const Term& reason) override {
    for (Observer* o : observers_) o->on_exit(pid, reason);
  }
  void on_step(const StepInfo& step) override {
    for (Observer* o : observers_) o->on_step(step);
  }
  void on_event(Pid pid, const Term& event) override {
    for (Observer* o : observers_) o->on_event(pid, event);
  }
  void on_receive(Pid pid, const Term& message) override {
    for (Observer* o : observers_) o->on_receive(pid, message);
  }

 private:
  std::vector<Observer*> observers_;
};

}  // namespace otpsim::sim
