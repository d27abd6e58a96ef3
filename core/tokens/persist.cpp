#include "core/tokens/persist.hpp"

#include "core/otp/task.hpp"
#include "core/tokens/atoms.hpp"
#include "core/tokens/checked_time.hpp"
#include "core/tokens/telemetry.hpp"

namespace otpsim::core::tokens {

namespace ta = tokens::atoms;
namespace sa = sim::atoms;

namespace {

sim::Atom key_atom(StorageKey key) { return key == StorageKey::cached ? ta::cached() : ta::manual(); }

Task<Term> persist_logged(Ctx ctx, const Trio* trio, std::string app, StorageKey key, StorageRecord record) {
  std::optional<StorageError> error = co_await storage_put(ctx, trio, app, key, record);
  if (error) {
    ctx.emit(telemetry::log(sa::error(), app_term(app), sim::tuple(ta::persist_failed(), key_atom(key), error->reason)));
  }
  co_return Term(sa::ok());
}

}  // namespace

Task<std::optional<StorageRecord>> storage_get(Ctx ctx, const Trio* trio, std::string app, StorageKey key) {
  Storage& storage = *trio->env->storage;
  const sim::Micros latency = kernel_delay(storage.get_latency_us());
  if (latency > 0) co_await ctx.sleep(latency);
  co_await ctx.external(static_cast<std::uint64_t>(Resource::storage), ta::storage_get());
  std::optional<StorageError> error;
  std::optional<StorageRecord> record = storage.get(app, key, error);
  if (error) co_return std::nullopt;
  co_return record;
}

Task<std::optional<StorageError>> storage_put(Ctx ctx, const Trio* trio, std::string app, StorageKey key,
                                              StorageRecord record) {
  Storage& storage = *trio->env->storage;
  const sim::Micros latency = kernel_delay(storage.put_latency_us());
  if (latency > 0) co_await ctx.sleep(latency);
  co_await ctx.external(static_cast<std::uint64_t>(Resource::storage), ta::storage_put());
  std::optional<StorageError> error = storage.put(app, key, record);
  if (!error) ctx.emit(sim::tuple(ta::persisted(), app_term(app), key_atom(key), Term::string(record.token)));
  co_return error;
}

Task<> persist_async(Ctx ctx, const Trio* trio, std::string app, StorageKey key, StorageRecord record) {
  Pid task_sup;
  if (trio->knobs().use_task_sup) task_sup = co_await ctx.whereis(trio->names().task_sup);
  if (!task_sup) {
    (void)co_await persist_logged(ctx, trio, app, key, record);
    co_return;
  }
  otp::task::TaskFn fn = [trio, app, key, record](Ctx c) -> Task<Term> {
    co_return co_await persist_logged(c, trio, app, key, record);
  };
  otp::ServerRef sup(otp::ServerName::local(trio->names().task_sup));
  (void)co_await otp::task::start_child(ctx, sup, fn);
}

}  // namespace otpsim::core::tokens
