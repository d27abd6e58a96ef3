// ETS-like tables: set semantics, rows are tuples keyed by their first
// element, owned by a process and destroyed with it. Any operation on a
// destroyed table returns TableStatus::no_table, which the caller must
// handle (OTP raises badarg there).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "sim/ids.hpp"
#include "sim/process.hpp"
#include "sim/term.hpp"

namespace otpsim::sim {

enum class TableStatus : std::uint8_t {
  ok,
  no_table,       // the table never existed or died with its owner
  access_denied,  // protected/private table touched by a non-owner
  bad_row,        // a row that is not a non-empty tuple
  name_taken,     // table_new with a name already in use
};

std::string_view table_status_name(TableStatus status);

template <typename T>
struct [[nodiscard]] TableResult {
  TableStatus status = TableStatus::ok;
  T value{};
  bool ok() const { return status == TableStatus::ok; }
};

/// A class with constructors, not an aggregate: g++ 12 destroys aggregate
/// temporaries in a co_await expression twice (see ctx.hpp).
struct TableOptions {
  TableOptions() = default;
  TableOptions(TableAccess access_, Term name_ = Term()) : access(access_), name(std::move(name_)) {}
  TableOptions(TableAccess access_, Term name_, Pid heir_) : access(access_), name(std::move(name_)), heir(heir_) {}
  TableAccess access = TableAccess::public_access;
  /// An atom to find the table by (named_table), or the integer 0.
  Term name;
  /// ETS's {heir, Pid, HeirData}: when the owner dies and `heir` is alive,
  /// the table passes to it (once: it has no heir after that) and it gets
  /// {'ETS-TRANSFER', Tab, FromPid, undefined} (Tab: the table's name, or
  /// its id as an integer for an unnamed table; HeirData is always the atom
  /// undefined). Pid{}: no heir, the table dies with its owner.
  Pid heir;
};

struct Table {
  TableId id;
  Pid owner;
  Pid heir;  // Pid{}: none
  TableAccess access = TableAccess::public_access;
  Term name;
  // key (first element) -> row; nodes from the BlockPool (block_pool.hpp)
  std::map<Term, Term, std::less<Term>, detail::PoolAllocator<std::pair<const Term, Term>>> rows;

  bool can_read(Pid who) const { return access != TableAccess::private_access || who == owner; }
  bool can_write(Pid who) const { return access == TableAccess::public_access || who == owner; }
};

}  // namespace otpsim::sim
