#include "scenarios/library.hpp"

#include "core/tokens/properties.hpp"
#include "core/tree/properties.hpp"

namespace otpsim::scenarios {

ParseContext default_parse_context() {
  ParseContext context;
  for (const core::tokens::Property& p : core::tokens::properties()) context.properties.push_back(p.name);
  for (const core::tree::TreeProperty& p : core::tree::tree_properties()) context.tree_properties.push_back(p.name);
  return context;
}

std::variant<std::vector<ScenarioSpec>, ParseError> builtin_scenarios() {
  const ParseContext context = default_parse_context();
  std::vector<ScenarioSpec> out;
  for (const EmbeddedScenario& file : embedded_scenarios()) {
    auto parsed = parse_scenario(file.text, std::string("builtin:") + file.file, context);
    if (auto* error = std::get_if<ParseError>(&parsed)) return *error;
    out.push_back(std::move(std::get<ScenarioSpec>(parsed)));
    out.back().source = std::string("builtin:") + file.file;
  }
  return out;
}

}  // namespace otpsim::scenarios
