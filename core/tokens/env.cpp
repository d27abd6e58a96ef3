#include "core/tokens/env.hpp"

#include <fmt/format.h>

#include "core/tokens/checked_time.hpp"

namespace otpsim::core::tokens {

std::string_view storage_key_name(StorageKey key) { return key == StorageKey::cached ? "cached" : "manual"; }

std::optional<StorageRecord> MemoryStorage::get(const std::string& app, StorageKey key,
                                                std::optional<StorageError>& error) {
  ++gets;
  if (faults.fail_get) {
    error.emplace(sim::Term(sim::Atom("storage_unavailable")));
    return std::nullopt;
  }
  return peek(app, key);
}

std::optional<StorageError> MemoryStorage::put(const std::string& app, StorageKey key, const StorageRecord& record) {
  ++puts;
  if (faults.fail_put) {
    ++failed_puts;
    return StorageError(sim::tuple(sim::Atom("storage_error"), sim::Atom("put")));
  }
  rows_.insert_or_assign(std::pair(app, key), record);
  return std::nullopt;
}

void MemoryStorage::erase(const std::string& app, StorageKey key) {
  ++deletes;
  rows_.erase(std::pair(app, key));
}

void MemoryStorage::node_restart() {
  if (!durable) rows_.clear();
}

std::optional<StorageRecord> MemoryStorage::peek(const std::string& app, StorageKey key) const {
  auto it = rows_.find(std::pair(app, key));
  if (it == rows_.end()) return std::nullopt;
  return it->second;
}

CliRun SimCli::run(const std::string& app) {
  ++runs;
  runs_by_app.push_back(app);
  auto it = per_app.find(app);
  const CliBehaviour& b = it == per_app.end() ? behaviour : it->second;
  if (b.missing) return CliRun(127, "", b.latency_us, false);
  std::string output = b.output ? *b.output : fmt::format("cli-{}-{}\n", app, runs);
  return CliRun(b.exit_code, std::move(output), b.latency_us, b.hang);
}

std::optional<std::string> parse_access_token(const std::string& text) {
  // One `access_token: VALUE` line (YAML scalar, optionally quoted).
  static constexpr std::string_view key = "access_token:";
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    std::string_view line(text.data() + line_start, line_end - line_start);
    if (line.substr(0, key.size()) == key) {
      std::string_view value = line.substr(key.size());
      auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
        return v;
      };
      value = trim(value);
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
      }
      if (value.empty()) return std::nullopt;
      return std::string(value);
    }
    line_start = line_end + 1;
  }
  return std::nullopt;
}

Env::Env() : storage(&memory_storage), cli(&sim_cli), config_file(&sim_config_file) {}

std::int64_t Env::system_time_s(Micros now_us) const {
  // Saturating: a clock offset near the int64 limits stays at the end of
  // time instead of wrapping. Floor division: a clock jumped before the
  // epoch still rounds down.
  return floor_div(sat_add(now_us, clock_offset_us), 1'000'000);
}

}  // namespace otpsim::core::tokens
