// ExAtlas.Fly.Tokens: the calls clients make.
#include "core/tokens/facade.hpp"

#include "core/otp/registry.hpp"
#include "core/tokens/app_server.hpp"
#include "core/tokens/atoms.hpp"
#include "core/tokens/telemetry.hpp"

namespace otpsim::core::tokens::facade {

namespace ta = tokens::atoms;
namespace sa = sim::atoms;
using sim::Atom;
using sim::TableStatus;

namespace {

/// :telemetry.span: start, then stop with the metadata, or exception if the
/// call exits the client.
class Span {
 public:
  Span(Ctx ctx, Atom op, Term app) : ctx_(ctx), op_(op), app_(std::move(app)) { ctx_.emit(telemetry::start(op_, app_)); }
  Term stop(Term result, Atom source, Atom acquirer) {
    ctx_.emit(telemetry::stop(op_, app_, source, acquirer, result));
    return result;
  }
  void exception(const Term& reason) {
    ctx_.emit(sim::tuple(telemetry::telemetry_tag(), ta::exception(), op_, app_, reason));
  }

 private:
  Ctx ctx_;
  Atom op_;
  Term app_;
};

/// {ok, Token, Source} → {ok, Token}; errors pass through with source none.
Term client_result(const Term& reply, Atom& source) {
  if (reply.is_tagged(sa::ok(), 3)) {
    source = reply[2].atom();
    return sim::tuple(sa::ok(), reply[1]);
  }
  source = ta::none();
  return reply;
}

Task<Term> get_span(Ctx ctx, const Trio* trio, std::string app, Span& span) {
  const Term key = app_term(app);
  auto row = co_await ctx.lookup(trio->names().table, key);
  if (row.status == TableStatus::no_table && trio->has(Mutant::facade_missing_table_crashes)) {
    ctx.exit(Term(sa::badarg()));  // Mutant: the fast path does not rescue ArgumentError
  }
  if (row.ok() && row.value) {
    const bool live = trio->has(Mutant::cache_ignores_expiry) ||
                      (*row.value)[2].integer() > trio->env->system_time_s(ctx.now_us());
    if (live) co_return span.stop(sim::tuple(sa::ok(), (*row.value)[1]), ta::ets(), ta::facade());
  }
  Term resolved = co_await resolve_app_server(ctx, trio, app);
  if (!resolved.is_tagged(sa::ok(), 2)) co_return span.stop(resolved, ta::none(), ta::app_server());
  Term reply = co_await app_server::acquire(ctx, trio, resolved[1].pid());
  Atom source = ta::none();
  Term result = client_result(reply, source);
  co_return span.stop(result, source, ta::app_server());
}

Task<Term> refresh_span(Ctx ctx, const Trio* trio, std::string app, Span& span) {
  Term resolved = co_await resolve_app_server(ctx, trio, app);
  if (!resolved.is_tagged(sa::ok(), 2)) co_return span.stop(resolved, ta::none(), ta::app_server());
  const Pid server = resolved[1].pid();
  Term reply;
  if (trio->has(Mutant::refresh_not_atomic)) {
    // Mutant: two calls, so another caller can refill the row in between.
    (void)co_await app_server::invalidate(ctx, server);
    reply = co_await app_server::acquire(ctx, trio, server);
  } else {
    reply = co_await app_server::refresh(ctx, trio, server);
  }
  Atom source = ta::none();
  Term result = client_result(reply, source);
  co_return span.stop(result, source, ta::app_server());
}

}  // namespace

Task<Term> get(Ctx ctx, const Trio* trio, std::string app) {
  Span span(ctx, ta::get(), app_term(app));
  try {
    co_return co_await get_span(ctx, trio, app, span);
  } catch (const sim::ExitException& e) {
    span.exception(e.reason);
    throw;
  }
}

Task<Term> refresh(Ctx ctx, const Trio* trio, std::string app) {
  Span span(ctx, ta::refresh(), app_term(app));
  try {
    co_return co_await refresh_span(ctx, trio, app, span);
  } catch (const sim::ExitException& e) {
    span.exception(e.reason);
    throw;
  }
}

Task<Term> invalidate(Ctx ctx, const Trio* trio, std::string app) {
  Pid server = co_await whereis_app_server(ctx, trio, app);
  if (!server) co_return Term(sa::ok());  // no AppServer is started for this
  co_return co_await app_server::invalidate(ctx, server);
}

Task<Term> set_manual(Ctx ctx, const Trio* trio, std::string app, std::string token) {
  Term resolved = co_await resolve_app_server(ctx, trio, app);
  if (!resolved.is_tagged(sa::ok(), 2)) co_return resolved;
  co_return co_await app_server::set_manual(ctx, resolved[1].pid(), token);
}

}  // namespace otpsim::core::tokens::facade
