#include "core/tokens/workload.hpp"

#include "core/tokens/facade.hpp"

namespace otpsim::core::tokens {

bool valid_op(std::string_view op) {
  return op == "get" || op == "refresh" || op == "invalidate" || op == "set_manual";
}

namespace {

Task<Term> dispatch(Ctx ctx, const Trio* trio, const std::string& op, std::string app, std::string token) {
  if (op == "get") co_return co_await facade::get(ctx, trio, app);
  if (op == "refresh") co_return co_await facade::refresh(ctx, trio, app);
  if (op == "invalidate") co_return co_await facade::invalidate(ctx, trio, app);
  co_return co_await facade::set_manual(ctx, trio, app, token);
}

}  // namespace

Task<Term> recorded_call(Ctx ctx, const Trio* trio, RunRecord* record, std::string client_name, std::string op,
                         std::string app, std::string token) {
  // The record's vector may grow while this call waits: keep an index.
  const std::size_t index = record->calls.size();
  {
    ClientCall call;
    call.client = ctx.self();
    call.client_name = client_name;
    call.op = op;
    call.app = app;
    call.token = token;
    call.start_us = ctx.now_us();
    call.start_step = record->steps();
    record->calls.push_back(std::move(call));
  }
  try {
    Term result = co_await dispatch(ctx, trio, op, app, token);
    ClientCall& call = record->calls[index];
    call.end_us = ctx.now_us();
    call.end_step = record->steps();
    call.result = result;
    co_return result;
  } catch (const sim::ExitException& e) {
    ClientCall& call = record->calls[index];
    call.end_us = ctx.now_us();
    call.end_step = record->steps();
    call.exited = true;
    call.exit_reason = e.reason;
    throw;
  }
}

}  // namespace otpsim::core::tokens
