// The AppServer, as reference/exatlas-tokens.md describes it. Every table
// access is by the table's name (an ETS named table); a missing table
// crashes the AppServer with badarg, as ETS raises.
#include "core/tokens/app_server.hpp"

#include <fmt/format.h>

#include "core/otp/task.hpp"
#include "core/tokens/atoms.hpp"
#include "core/tokens/checked_time.hpp"
#include "core/tokens/persist.hpp"
#include "core/tokens/telemetry.hpp"

namespace otpsim::core::tokens::app_server {

namespace ta = tokens::atoms;
namespace sa = sim::atoms;
using otp::CallResult;
using otp::From;
using otp::HandleResult;
using otp::InitResult;
using sim::Atom;
using sim::Micros;
using sim::Ref;
using sim::TableStatus;

namespace {

/// Elixir's String.trim (ASCII whitespace).
std::string trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

Term ok_token(const std::string& token, Atom source) { return sim::tuple(sa::ok(), Term::string(token), source); }

/// The CLI as cmd_fn runs it, inside the task: {Output, ExitStatus} as System.cmd returns.
otp::task::TaskFn cli_task(const Trio* trio, std::string app) {
  return [trio, app](Ctx c) -> Task<Term> {
    co_await c.external(static_cast<std::uint64_t>(Resource::cli), ta::cli_run());
    CliRun run = trio->env->cli->run(app);
    c.emit(sim::tuple(ta::cli_run(), app_term(app)));
    if (run.hang) co_await c.receive([](const Term&) { return false; });
    if (run.latency_us > 0) co_await c.sleep(kernel_delay(run.latency_us));
    co_return sim::tuple(Term::string(run.output), run.exit_code);
  };
}

class AppServer final : public otp::GenServer {
 public:
  AppServer(const Trio* trio, std::string app) : trio_(trio), app_(std::move(app)), app_term_(app_term(app_)) {}

  Task<InitResult> init(Ctx ctx) override {
    read_config_ = trio_->env->read_config_file;  // a snapshot, as upstream reads the flag once
    ctx.emit(sim::tuple(ta::app_server_up(), app_term_));
    if (trio_->has(Mutant::ets_owned_by_app_server)) {
      // Mutant: the first AppServer creates the table, so it dies with that AppServer.
      auto existing = co_await ctx.table_named(trio_->names().table);
      if (!existing.ok()) {
        sim::TableOptions options(sim::TableAccess::public_access, Term(trio_->names().table));
        (void)co_await ctx.table_new(options);
      }
    }
    co_return InitResult::ok();
  }

  Task<CallResult> handle_call(Ctx ctx, Term request, From from) override {
    if (request.is(ta::acquire())) co_return CallResult::reply(co_await acquire(ctx));
    if (request.is(ta::refresh())) {
      co_await delete_row(ctx);
      co_return CallResult::reply(co_await resolve(ctx));
    }
    if (request.is(ta::invalidate())) {
      co_await delete_row(ctx);
      co_return CallResult::reply(Term(sa::ok()));
    }
    if (request.is_tagged(ta::set_manual(), 2)) co_return CallResult::reply(co_await set_manual(ctx, request[1]));
    if (request.is(ta::expire_token())) {
      co_await expire_row(ctx);
      co_return CallResult::reply(Term(sa::ok()));
    }
    co_return co_await GenServer::handle_call(ctx, request, from);
  }

  Task<HandleResult> handle_info(Ctx ctx, Term message) override {
    if (message.is(ta::soft_refresh())) {
      // Nobody waits: the chain runs to refill the cache before expiry.
      timer_.reset();
      ctx.emit(sim::tuple(ta::soft_refresh(), app_term_));
      co_await delete_row(ctx);
      (void)co_await resolve(ctx);
    }
    co_return HandleResult::noreply();
  }

 private:
  Atom table() const { return trio_->names().table; }
  std::int64_t now_s(Ctx ctx) const { return trio_->env->system_time_s(ctx.now_us()); }
  // g++ 12: test a co_await result only once it is named. Written as
  // `if (co_await op == no_table) badarg(ctx);` at the end of a coroutine,
  // the test compiled to ud2 (SIGILL) even though op returned ok.
  [[noreturn]] void badarg(Ctx ctx) { ctx.exit(Term(sa::badarg())); }

  Task<Term> acquire(Ctx ctx) {
    if (!trio_->has(Mutant::no_mailbox_recheck)) {
      // A caller queued behind another may find the row that one cached.
      auto row = co_await ctx.lookup(table(), app_term_);
      if (row.status == TableStatus::no_table) badarg(ctx);
      if (row.value && (trio_->has(Mutant::cache_ignores_expiry) || (*row.value)[2].integer() > now_s(ctx))) {
        co_return sim::tuple(sa::ok(), (*row.value)[1], ta::ets());
      }
    }
    co_return co_await resolve(ctx);
  }

  /// The resolution chain: storage, config file, CLI, manual; first hit wins.
  Task<Term> resolve(Ctx ctx) {
    const Knobs& knobs = trio_->knobs();
    std::int64_t now = now_s(ctx);
    auto stored = co_await storage_get(ctx, trio_, app_, StorageKey::cached);
    if (stored && stored->expires_at_s && *stored->expires_at_s > now) {
      co_await cache(ctx, stored->token, *stored->expires_at_s);
      co_await arm_soft_refresh(ctx, *stored->expires_at_s);
      co_return ok_token(stored->token, ta::storage());
    }
    if (read_config_) {
      co_await ctx.external(static_cast<std::uint64_t>(Resource::config_file), ta::config());
      std::optional<std::string> text = trio_->env->config_file->read();
      std::optional<std::string> token;
      if (text) token = parse_access_token(*text);
      if (token) {
        co_return co_await hit_with_ttl(ctx, *token, ta::config());
      }
    }
    std::optional<std::string> cli_token = co_await run_cli(ctx);
    if (cli_token) co_return co_await hit_with_ttl(ctx, *cli_token, ta::cli());
    auto manual = co_await storage_get(ctx, trio_, app_, StorageKey::manual);
    if (manual) {
      // A manual token has no expiry of its own; its cache row lives one ttl,
      // so the chain (and the CLI) is tried again after that.
      co_await cache(ctx, manual->token, sat_add(now_s(ctx), knobs.ttl_s));
      co_return ok_token(manual->token, ta::manual());
    }
    co_return sim::tuple(sa::error(), ta::no_token_available());
  }

  /// A config or CLI hit: expires one ttl from now, cached, persisted async.
  Task<Term> hit_with_ttl(Ctx ctx, std::string token, Atom source) {
    std::int64_t expires_at = sat_add(now_s(ctx), trio_->knobs().ttl_s);
    co_await cache(ctx, token, expires_at);
    StorageRecord record(token, expires_at);
    co_await persist_async(ctx, trio_, app_, StorageKey::cached, record);
    co_await arm_soft_refresh(ctx, expires_at);
    co_return ok_token(token, source);
  }

  /// `fly tokens create readonly` in a task, killed after cli_timeout.
  Task<std::optional<std::string>> run_cli(Ctx ctx) {
    otp::task::TaskFn fn = cli_task(trio_, app_);
    otp::task::TaskRef task = co_await otp::task::async(ctx, fn);
    const Micros timeout_us = kernel_delay(ms_to_us(trio_->knobs().cli_timeout_ms));
    std::optional<Term> outcome = co_await otp::task::yield(ctx, task, timeout_us);
    if (!outcome) outcome = co_await otp::task::shutdown(ctx, task, otp::Shutdown::brutal_kill());
    const Term& r = *outcome;
    if (r.is_tagged(sa::ok(), 2)) {
      const Term& result = r[1];
      if (result[1].integer() != 0) {
        ctx.emit(telemetry::log(ta::warning(), app_term_, sim::tuple(ta::cli_failed(), result[1])));
        co_return std::nullopt;
      }
      std::string token = trim(result[0].string_value());
      if (token.empty()) {
        ctx.emit(telemetry::log(ta::warning(), app_term_, Term(ta::cli_empty_output())));
        co_return std::nullopt;
      }
      co_return token;
    }
    // nil (killed at the timeout) or {exit, Reason}.
    Term what = r.is_atom("nil") ? Term(ta::cli_timeout()) : r;
    ctx.emit(telemetry::log(ta::warning(), app_term_, what));
    co_return std::nullopt;
  }

  Task<Term> set_manual(Ctx ctx, Term token) {
    StorageRecord record(std::string(token.string_value()), std::nullopt);
    if (trio_->has(Mutant::async_set_manual)) {
      // Mutant: acknowledged before the write, and a failed write only logged.
      co_await persist_async(ctx, trio_, app_, StorageKey::manual, record);
      co_return Term(sa::ok());
    }
    std::optional<StorageError> error = co_await storage_put(ctx, trio_, app_, StorageKey::manual, record);
    if (error) co_return sim::tuple(sa::error(), sim::tuple(ta::persist_failed(), error->reason));
    co_return Term(sa::ok());
  }

  Task<> cache(Ctx ctx, std::string token, std::int64_t expires_at) {
    Term row = sim::tuple(app_term_, Term::string(token), expires_at);
    const TableStatus status = co_await ctx.insert(table(), row);
    if (status == TableStatus::no_table) badarg(ctx);
    ctx.emit(sim::tuple(ta::cached(), app_term_, Term::string(token), expires_at));
  }

  Task<> delete_row(Ctx ctx) {
    const TableStatus status = co_await ctx.erase(table(), app_term_);
    if (status == TableStatus::no_table) badarg(ctx);
    ctx.emit(sim::tuple(ta::uncached(), app_term_));
  }

  Task<> expire_row(Ctx ctx) {
    auto row = co_await ctx.lookup(table(), app_term_);
    if (row.status == TableStatus::no_table) badarg(ctx);
    if (!row.value) co_return;
    Term expired = sim::tuple(app_term_, (*row.value)[1], sat_sub(now_s(ctx), 1));
    const TableStatus status = co_await ctx.insert(table(), expired);
    if (status == TableStatus::no_table) badarg(ctx);
    ctx.emit(sim::tuple(ta::cached(), app_term_, (*row.value)[1], sat_sub(now_s(ctx), 1)));
  }

  /// Soft expiry: a timer for expires_at - now - lead, replacing any earlier one.
  Task<> arm_soft_refresh(Ctx ctx, std::int64_t expires_at) {
    const std::int64_t lead = trio_->knobs().soft_refresh_lead_s;
    if (lead == 0) co_return;
    if (timer_) {
      (void)co_await ctx.cancel_timer(*timer_);
      timer_.reset();
    }
    // Saturating: an expiry or a clock near the int64 limits must not wrap.
    const std::int64_t delay_s = sat_sub(sat_sub(expires_at, now_s(ctx)), lead);
    if (delay_s <= 0) co_return;  // already inside the lead: the next expiry is handled lazily
    timer_ = co_await ctx.send_after(kernel_delay(seconds_to_us(delay_s)), ctx.self(), Term(ta::soft_refresh()));
  }

  const Trio* trio_;
  std::string app_;
  Term app_term_;
  bool read_config_ = true;
  std::optional<Ref> timer_;
};

}  // namespace

std::unique_ptr<otp::GenServer> make(const Trio* trio, std::string app) {
  return std::make_unique<AppServer>(trio, std::move(app));
}

otp::ChildSpec child_spec(const Trio* trio, std::string app) {
  Term id(Atom("Elixir.ExAtlas.Fly.Tokens.AppServer"));
  return otp::ChildSpec::worker(id, [trio, app](Ctx c) { return start_link(c, trio, app); });
}

Task<Term> start_link(Ctx ctx, const Trio* trio, std::string app) {
  otp::ServerFactory factory = [trio, app] { return std::make_unique<AppServer>(trio, app); };
  otp::StartOptions options(otp::ServerName::via(trio->names().registry, app_term(app)), "app:" + app);
  co_return co_await otp::start_link(ctx, factory, options);
}

Task<Term> acquire(Ctx ctx, const Trio* trio, Pid server) {
  co_return co_await otp::call(ctx, otp::ServerRef(server), Term(ta::acquire()), kernel_delay(trio->knobs().acquire_call_timeout_us()));
}

Task<Term> refresh(Ctx ctx, const Trio* trio, Pid server) {
  co_return co_await otp::call(ctx, otp::ServerRef(server), Term(ta::refresh()), kernel_delay(trio->knobs().acquire_call_timeout_us()));
}

Task<Term> invalidate(Ctx ctx, Pid server) {
  co_return co_await otp::call(ctx, otp::ServerRef(server), Term(ta::invalidate()));
}

Task<Term> set_manual(Ctx ctx, Pid server, std::string token) {
  Term request = sim::tuple(ta::set_manual(), Term::string(token));
  co_return co_await otp::call(ctx, otp::ServerRef(server), request);
}

Task<Term> expire_token(Ctx ctx, Pid server) {
  co_return co_await otp::call(ctx, otp::ServerRef(server), Term(ta::expire_token()));
}

}  // namespace otpsim::core::tokens::app_server
