// Native workers: a C++ gen_server that stands in a declared tree under a
// name (`native = "NAME"` in the tree file). The trio's ETSOwner is one
// ("tokens.ets_owner"). Register a factory once, before any run (a static
// initializer, or main); registering the same name twice replaces it.
//
//   core::tree::register_native("my.cache", [](const core::tree::NativeContext& c) {
//     return std::make_unique<MyCache>(c.arg);
//   });
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/otp/gen_server.hpp"
#include "core/tree/spec.hpp"

namespace otpsim::core {
class System;
}

namespace otpsim::core::tree {

/// What a native worker's factory is given: the system it runs in (a
/// native may downcast it to its own system, as the trio's do), the node
/// it stands for, its path and its start argument.
class NativeContext {
 public:
  NativeContext(System* system_, const Node* node_, std::string path_, Term arg_)
      : system(system_), node(node_), path(std::move(path_)), arg(std::move(arg_)) {}
  System* system;
  const Node* node;
  std::string path;
  Term arg;
};

using NativeFactory = std::function<std::unique_ptr<otp::GenServer>(const NativeContext&)>;

void register_native(std::string name, NativeFactory factory);
/// The factory registered as `name`, or nullptr.
const NativeFactory* find_native(std::string_view name);
/// Every registered name, sorted.
std::vector<std::string> native_names();

}  // namespace otpsim::core::tree
