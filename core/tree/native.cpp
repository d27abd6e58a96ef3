// The registry of native workers: a sorted map, so native_names() (and any
// listing of it) is deterministic.
#include "core/tree/native.hpp"

#include <map>

namespace otpsim::core::tree {

namespace {

std::map<std::string, NativeFactory, std::less<>>& natives() {
  static std::map<std::string, NativeFactory, std::less<>> registry;
  return registry;
}

}  // namespace

void register_native(std::string name, NativeFactory factory) { natives()[std::move(name)] = std::move(factory); }

const NativeFactory* find_native(std::string_view name) {
  auto it = natives().find(name);
  return it == natives().end() ? nullptr : &it->second;
}

std::vector<std::string> native_names() {
  std::vector<std::string> names;
  for (const auto& entry : natives()) names.push_back(entry.first);
  return names;
}

}  // namespace otpsim::core::tree
