// The trio's run record is core's generic one (core/record.hpp): the names
// stay available here for the trio's code and its users.
#pragma once

#include "core/record.hpp"

namespace otpsim::core::tokens {

using core::ClientCall;
using core::FaultEvent;
using core::ProcessLife;
using core::RecordedEvent;
using core::RestartRetry;
using core::RunRecord;

}  // namespace otpsim::core::tokens
