// The trio's configuration as data: process and table names, the knobs of
// the upstream library, and the mutants (documented deviations from the
// reference, off by default; docs/mutants.md).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/ids.hpp"
#include "sim/term.hpp"

namespace otpsim::core::tokens {

using sim::Atom;
using sim::Micros;

/// The registered names (production uses fixed module names; upstream tests
/// override them, as a user may here).
class Names {
 public:
  Names() = default;
  Atom top{"Elixir.ExAtlas.Fly.Tokens.Supervisor"};
  Atom registry{"Elixir.ExAtlas.Fly.Tokens.Registry"};
  Atom ets_owner{"Elixir.ExAtlas.Fly.Tokens.ETSOwner"};
  Atom task_sup{"Elixir.ExAtlas.Fly.Tokens.TaskSupervisor"};
  Atom dyn_sup{"Elixir.ExAtlas.Fly.Tokens.DynamicSupervisor"};
  Atom table{"ex_atlas_fly_tokens"};
};

/// The upstream knobs (app_server_defaults and the supervisor's options).
class Knobs {
 public:
  Knobs() = default;
  std::int64_t ttl_s = 24 * 3600;           // lifetime of a config or CLI token
  std::int64_t cli_timeout_ms = 15'000;     // the CLI task is brutally killed after this
  std::int64_t soft_refresh_lead_s = 3600;  // soft expiry fires this long before expiry; 0 disables
  /// Persist through the TaskSupervisor (true) or always inline (false,
  /// as an AppServer started without a task_sup).
  bool use_task_sup = true;
  /// The client's timeout for acquire and refresh: cli_timeout + 5 s.
  /// Saturates (a timeout past the horizon is the same as none: kernel_delay caps it).
  Micros acquire_call_timeout_us() const {
    std::int64_t ms = 0, us = 0;
    if (__builtin_add_overflow(cli_timeout_ms, 5000, &ms) || __builtin_mul_overflow(ms, 1000, &us)) {
      return std::numeric_limits<Micros>::max();
    }
    return us;
  }
};

/// Named deviations from the reference. Each plants one bug.
enum class Mutant : std::uint8_t {
  no_already_started_branch,     // resolve_app_server returns {error,{already_started,P}} instead of P
  top_one_for_one,               // the top supervisor is one_for_one, not rest_for_one
  refresh_not_atomic,            // the facade refreshes as invalidate, then acquire (two calls)
  no_mailbox_recheck,            // acquire runs the chain without re-checking the table
  async_set_manual,              // set_manual replies ok, then persists in a task (failure swallowed)
  facade_missing_table_crashes,  // the facade's fast path crashes (badarg) on a missing table
  ets_owned_by_app_server,       // the first AppServer creates (and owns) the cache table
  cache_ignores_expiry,          // table rows are served whatever their expires_at
};

inline constexpr Mutant all_mutants[] = {
    Mutant::no_already_started_branch, Mutant::top_one_for_one,     Mutant::refresh_not_atomic,
    Mutant::no_mailbox_recheck,        Mutant::async_set_manual,    Mutant::facade_missing_table_crashes,
    Mutant::ets_owned_by_app_server,   Mutant::cache_ignores_expiry,
};

std::string_view mutant_name(Mutant m);
/// The mutant called `name`, or nullopt.
std::optional<Mutant> mutant_from_name(std::string_view name);

/// A set of mutants (a bit per Mutant).
class Mutants {
 public:
  Mutants() = default;
  Mutants& enable(Mutant m) { bits_ |= bit(m); return *this; }
  bool has(Mutant m) const { return (bits_ & bit(m)) != 0; }
  bool none() const { return bits_ == 0; }
  std::vector<Mutant> list() const;

 private:
  static std::uint32_t bit(Mutant m) { return std::uint32_t{1} << static_cast<unsigned>(m); }
  std::uint32_t bits_ = 0;
};

class TrioConfig {
 public:
  TrioConfig() = default;
  Names names;
  Knobs knobs;
  Mutants mutants;
};

}  // namespace otpsim::core::tokens
