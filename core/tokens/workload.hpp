// A workload client's facade call, recorded in a RunRecord: its start, and
// its result or the exit it caused. Properties judge these records.
#pragma once

#include "core/tokens/record.hpp"
#include "core/tokens/trio.hpp"

namespace otpsim::core::tokens {

/// Makes one facade call (`op`: get | refresh | invalidate | set_manual)
/// from the calling process and records it. Returns the result; if the
/// call exits the caller, records that and rethrows (the client dies, as
/// it would on the BEAM). `token` is set_manual's argument.
Task<Term> recorded_call(Ctx ctx, const Trio* trio, RunRecord* record, std::string client_name, std::string op,
                         std::string app, std::string token);

/// True for the four facade operations.
bool valid_op(std::string_view op);

}  // namespace otpsim::core::tokens
