// Table effects (ETS-like, set semantics).
#include <fmt/format.h>

#include "sim/kernel.hpp"

namespace otpsim::sim {

using detail::Effect;
using detail::Process;

std::string_view table_status_name(TableStatus status) {
  switch (status) {
    case TableStatus::ok: return "ok";
    case TableStatus::no_table: return "no_table";
    case TableStatus::access_denied: return "access_denied";
    case TableStatus::bad_row: return "bad_row";
    case TableStatus::name_taken: return "name_taken";
  }
  return "?";
}

bool Kernel::table_exists(TableId table) const { return tables_.contains(table); }

std::optional<TableId> Kernel::table_named(const Term& name) const {
  auto it = table_names_.find(name);
  if (it == table_names_.end()) return std::nullopt;
  return it->second;
}

std::optional<Term> Kernel::table_peek(TableId table, const Term& key) const {
  auto t = tables_.find(table);
  if (t == tables_.end()) return std::nullopt;
  auto row = t->second->rows.find(key);
  if (row == t->second->rows.end()) return std::nullopt;
  return row->second;
}

void Kernel::destroy_table(TableId id) {
  auto it = tables_.find(id);
  if (it == tables_.end()) return;
  Table& table = *it->second;
  if (table.name.is_atom()) table_names_.erase(table.name);
  if (Process* owner = find(table.owner)) std::erase(owner->tables, id);
  tables_.erase(it);
}

bool Kernel::pass_to_heir(TableId id) {
  auto it = tables_.find(id);
  if (it == tables_.end()) return false;
  Table& table = *it->second;
  Process* heir = table.heir == table.owner ? nullptr : find(table.heir);
  if (heir == nullptr) return false;
  const Pid from = table.owner;
  if (Process* owner = find(from)) std::erase(owner->tables, id);
  table.owner = heir->pid;
  table.heir = Pid{};
  heir->tables.push_back(id);
  static const Atom transfer_tag("ETS-TRANSFER");
  Term tab = table.name.is_atom() ? table.name : Term(static_cast<std::int64_t>(id.id));
  Term message = tuple(transfer_tag, std::move(tab), from, atoms::undefined());
  if (tracing()) {
    trace_.events.push_back({steps_, now_us_, from, TraceKind::event, EffectKind::none,
                             fmt::format("table {} passes to its heir {}", id.id, message.to_string())});
  }
  if (async()) {
    post(from, heir->pid, Signal{SignalKind::message, false, std::move(message), Ref{}});
  } else {
    deliver_message(*heir, std::move(message));
  }
  return true;
}

namespace {

TableStatus check_row(const Term& row) {
  return row.is_tuple() && row.size() > 0 ? TableStatus::ok : TableStatus::bad_row;
}

}  // namespace

void Kernel::perform_table(Process& p) {
  Effect& e = p.pending;
  detail::EffectResult& r = p.result;
  r.value = 0;
  r.table = {};
  auto set = [&](TableStatus status) { r.status = static_cast<std::uint8_t>(status); };
  set(TableStatus::ok);

  if (e.kind == EffectKind::table_new) {
    if (e.term2.is_atom() && table_names_.contains(e.term2)) {
      set(TableStatus::name_taken);
    } else {
      auto table = std::make_unique<Table>();
      table->id = TableId{++table_counter_};
      table->owner = p.pid;
      table->heir = e.target;
      table->access = e.access;
      table->name = e.term2;
      r.table = table->id;
      if (table->name.is_atom()) table_names_.emplace(table->name, table->id);
      p.tables.push_back(table->id);
      tables_.emplace(table->id, std::move(table));
    }
    if (tracing()) {
      trace_step(p, e.kind, fmt::format("{} -> {} {}", e.term2.is_atom() ? e.term2.to_string() : std::string("unnamed"),
                                        r.table.id, table_status_name(static_cast<TableStatus>(r.status))));
    }
    return;
  }
  if (e.kind == EffectKind::table_whereis) {
    auto it = table_names_.find(e.term2);
    if (it == table_names_.end()) {
      set(TableStatus::no_table);
    } else {
      r.table = it->second;
    }
    if (tracing()) trace_step(p, e.kind, fmt::format("{} -> {}", e.term2.to_string(), r.table.id));
    return;
  }

  if (!e.table && e.term2.is_atom()) {  // an operation by table name: resolved now, as ETS does
    auto named = table_names_.find(e.term2);
    if (named != table_names_.end()) e.table = named->second;
  }
  auto it = tables_.find(e.table);
  Table* table = it == tables_.end() ? nullptr : it->second.get();
  const bool writes = e.kind != EffectKind::table_lookup;
  if (table == nullptr) {
    set(TableStatus::no_table);
  } else if (writes ? !table->can_write(p.pid) : !table->can_read(p.pid)) {
    set(TableStatus::access_denied);
  } else {
    switch (e.kind) {
      case EffectKind::table_insert:
        set(check_row(e.term));
        if (r.status == 0) table->rows.insert_or_assign(e.term[0], e.term);
        break;
      case EffectKind::table_insert_new:
        set(check_row(e.term));
        if (r.status == 0) r.value = table->rows.try_emplace(e.term[0], e.term).second ? 1 : 0;
        break;
      case EffectKind::table_lookup: {
        auto row = table->rows.find(e.term);
        if (row != table->rows.end()) {
          r.term = row->second;
          r.value = 1;
        }
        break;
      }
      case EffectKind::table_delete: table->rows.erase(e.term); break;
      case EffectKind::table_delete_object: {
        set(check_row(e.term));
        if (r.status != 0) break;
        auto row = table->rows.find(e.term[0]);
        if (row != table->rows.end() && row->second == e.term) {
          table->rows.erase(row);
          r.value = 1;
        }
        break;
      }
      case EffectKind::table_delete_table: destroy_table(e.table); break;
      default: break;
    }
  }
  if (tracing()) {
    std::string detail = fmt::format("tab {} {} -> {}", e.table.id, e.term.to_string(),
                                     table_status_name(static_cast<TableStatus>(r.status)));
    if (e.kind == EffectKind::table_lookup && r.value != 0) detail += " " + r.term.to_string();
    if (e.kind == EffectKind::table_insert_new && r.status == 0) detail += r.value != 0 ? " inserted" : " exists";
    trace_step(p, e.kind, std::move(detail));
  }
}

}  // namespace otpsim::sim
