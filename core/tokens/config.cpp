#include "core/tokens/config.hpp"

namespace otpsim::core::tokens {

std::string_view mutant_name(Mutant m) {
  switch (m) {
    case Mutant::no_already_started_branch: return "no_already_started_branch";
    case Mutant::top_one_for_one: return "top_one_for_one";
    case Mutant::refresh_not_atomic: return "refresh_not_atomic";
    case Mutant::no_mailbox_recheck: return "no_mailbox_recheck";
    case Mutant::async_set_manual: return "async_set_manual";
    case Mutant::facade_missing_table_crashes: return "facade_missing_table_crashes";
    case Mutant::ets_owned_by_app_server: return "ets_owned_by_app_server";
    case Mutant::cache_ignores_expiry: return "cache_ignores_expiry";
  }
  return "?";
}

std::optional<Mutant> mutant_from_name(std::string_view name) {
  for (Mutant m : all_mutants) {
    if (mutant_name(m) == name) return m;
  }
  return std::nullopt;
}

std::vector<Mutant> Mutants::list() const {
  std::vector<Mutant> out;
  for (Mutant m : all_mutants) {
    if (has(m)) out.push_back(m);
  }
  return out;
}

}  // namespace otpsim::core::tokens
