// Registry (keys: :unique), following Elixir's registry.ex: registration
// happens in the registering process; cleanup in the partition, on EXIT.
#include "core/otp/registry.hpp"

#include <fmt/format.h>

#include <map>

#include "core/otp/supervisor.hpp"

namespace otpsim::core::otp::registry {

namespace sa = sim::atoms;
using sim::TableAccess;
using sim::TableOptions;
using sim::TableStatus;

namespace {

/// The derived names of a registry, interned once per thread (interning
/// takes a process-wide lock; lookups run on every resolve).
struct DerivedNames {
  Atom partition, keys, pids;
};

const DerivedNames& derived(Atom registry) {
  thread_local std::map<Atom, DerivedNames> cache;  // looked up, never iterated
  auto it = cache.find(registry);
  if (it == cache.end()) {
    // Elixir names the partition Module.concat(registry, "PIDPartition0"):
    // "Elixir." first, whether the registry's name has it or not.
    std::string_view base = registry.text();
    if (base.starts_with("Elixir.")) base.remove_prefix(7);
    DerivedNames names{Atom(fmt::format("Elixir.{}.PIDPartition0", base)),
                       Atom(fmt::format("{}.Keys", registry.text())), Atom(fmt::format("{}.Pids", registry.text()))};
    it = cache.emplace(registry, names).first;
  }
  return it->second;
}

}  // namespace

Atom partition_name(Atom registry) { return derived(registry).partition; }
Atom keys_table_name(Atom registry) { return derived(registry).keys; }
Atom pids_table_name(Atom registry) { return derived(registry).pids; }

namespace {

Atom a_already_registered() { static const Atom a("already_registered"); return a; }

/// The partition: owns the tables, traps exits, cleans up after registrants.
class Partition final : public GenServer {
 public:
  explicit Partition(Atom registry) : registry_(registry) {}

  Task<InitResult> init(Ctx ctx) override {
    ctx.trap_exit(true);
    auto keys = co_await ctx.table_new(TableOptions(TableAccess::public_access, Term(keys_table_name(registry_))));
    auto pids = co_await ctx.table_new(TableOptions(TableAccess::public_access, Term(pids_table_name(registry_))));
    if (!keys.ok() || !pids.ok()) co_return InitResult::stop(Term(Atom("tables_exist")));
    keys_ = keys.value;
    pids_ = pids.value;
    co_return InitResult::ok();
  }

  Task<HandleResult> handle_info(Ctx ctx, Term message) override {
    if (message.is_tagged(sa::exit_tag(), 3) && message[1].is_pid()) {
      // {'EXIT', Pid, _}: take the pid's keys, delete those still held by it
      // (match_delete: a row another process took over meanwhile stays).
      Pid dead = message[1].pid();
      auto row = co_await ctx.lookup(pids_, Term(dead));
      (void)co_await ctx.erase(pids_, Term(dead));
      if (row.ok() && row.value) {
        for (const Term& key : (*row.value)[1].elements()) {
          auto held = co_await ctx.lookup(keys_, key);
          if (held.ok() && held.value && (*held.value)[1][0] == Term(dead)) {
            (void)co_await ctx.erase_object(keys_, *held.value);
          }
        }
      }
    }
    co_return HandleResult::noreply();
  }

  Task<CallResult> handle_call(Ctx, Term request, From) override {
    if (request.is_atom("sync")) co_return CallResult::reply(Term(sa::ok()));
    co_return CallResult::reply(Term(sa::error()));
  }

 private:
  Atom registry_;
  sim::TableId keys_, pids_;
};

/// The keys a pid holds, from R.Pids, with `key` added or removed.
Task<> update_pid_row(Ctx ctx, sim::TableId pids, Pid pid, const Term& key, bool add) {
  auto row = co_await ctx.lookup(pids, Term(pid));
  std::vector<Term> keys;
  if (row.ok() && row.value) {
    for (const Term& k : (*row.value)[1].elements()) {
      if (!(k == key)) keys.push_back(k);
    }
  }
  if (add) keys.push_back(key);
  if (keys.empty()) {
    (void)co_await ctx.erase(pids, Term(pid));
  } else {
    (void)co_await ctx.insert(pids, sim::tuple(pid, Term::list(std::move(keys))));
  }
}

}  // namespace

Task<Term> start_link(Ctx ctx, Atom name) {
  co_return co_await start_link(ctx, name, std::string(name.text()), std::string(partition_name(name).text()));
}

Task<Term> start_link(Ctx ctx, Atom name, std::string supervisor_label, std::string partition_label) {
  Atom partition = partition_name(name);
  std::vector<ChildSpec> children;
  children.push_back(ChildSpec::worker(Term(partition), [name, partition, partition_label](Ctx c) {
    return otp::start_link(c, [name] { return std::make_unique<Partition>(name); },
                           StartOptions(ServerName::local(partition), partition_label));
  }));
  // Elixir's Registry.Supervisor: one_for_all over the partitions.
  SupervisorFlags flags(Strategy::one_for_all, 3, 5);
  co_return co_await supervisor::start_link(ctx, flags, std::move(children),
                                            StartOptions(ServerName::local(name), supervisor_label));
}

Task<Term> register_key(Ctx ctx, Atom name, Term key, Term value) {
  Pid partition = co_await ctx.whereis(partition_name(name));
  auto keys = co_await ctx.table_named(keys_table_name(name));
  auto pids = co_await ctx.table_named(pids_table_name(name));
  if (!partition || !keys.ok() || !pids.ok()) ctx.exit(sim::tuple(sa::badarg(), Term(name)));
  co_await ctx.link(partition);
  co_await update_pid_row(ctx, pids.value, ctx.self(), key, true);
  for (;;) {
    auto inserted = co_await ctx.insert_new(keys.value, sim::tuple(key, sim::tuple(ctx.self(), value)));
    if (!inserted.ok()) ctx.exit(sim::tuple(sa::badarg(), Term(name)));
    if (inserted.value) co_return sim::tuple(sa::ok(), partition);
    auto held = co_await ctx.lookup(keys.value, key);
    if (!held.ok() || !held.value) continue;  // freed meanwhile: try again
    Pid holder = (*held.value)[1][0].pid();
    const bool alive = co_await ctx.is_alive(holder);
    if (alive) {
      co_await update_pid_row(ctx, pids.value, ctx.self(), key, false);
      co_return sim::tuple(sa::error(), sim::tuple(a_already_registered(), holder));
    }
    // A dead holder not yet cleaned up: take its place (delete_object: only
    // that holder's row, never one another registrant put there meanwhile).
    (void)co_await ctx.erase_object(keys.value, *held.value);
  }
}

Task<> unregister_key(Ctx ctx, Atom name, Term key) {
  auto keys = co_await ctx.table_named(keys_table_name(name));
  auto pids = co_await ctx.table_named(pids_table_name(name));
  if (!keys.ok() || !pids.ok()) co_return;
  auto held = co_await ctx.lookup(keys.value, key);
  if (held.ok() && held.value && (*held.value)[1][0] == Term(ctx.self())) (void)co_await ctx.erase(keys.value, key);
  co_await update_pid_row(ctx, pids.value, ctx.self(), key, false);
}

Task<std::vector<std::pair<Pid, Term>>> lookup(Ctx ctx, Atom name, Term key) {
  std::vector<std::pair<Pid, Term>> out;
  auto keys = co_await ctx.table_named(keys_table_name(name));
  if (!keys.ok()) co_return out;
  auto row = co_await ctx.lookup(keys.value, key);
  if (row.ok() && row.value) out.emplace_back((*row.value)[1][0].pid(), (*row.value)[1][1]);
  co_return out;
}

Task<Pid> whereis_name(Ctx ctx, Atom name, Term key) {
  // Elixir's whereis_name raises ArgumentError ("unknown registry") when
  // the registry is not running (its table is gone): the caller exits
  // badarg, as a call through a via-name does on the BEAM.
  auto keys = co_await ctx.table_named(keys_table_name(name));
  if (!keys.ok()) ctx.exit(Term(sa::badarg()));
  std::vector<std::pair<Pid, Term>> found;
  auto row = co_await ctx.lookup(keys.value, key);
  if (row.ok() && row.value) found.emplace_back((*row.value)[1][0].pid(), (*row.value)[1][1]);
  if (found.empty()) co_return Pid{};
  const bool alive = co_await ctx.is_alive(found[0].first);
  if (!alive) co_return Pid{};
  co_return found[0].first;
}

Task<bool> register_name(Ctx ctx, Atom name, Term key) {
  Term r = co_await register_key(ctx, name, key, Term(sa::undefined()));
  co_return r.is_tagged(sa::ok(), 2);
}

}  // namespace otpsim::core::otp::registry
