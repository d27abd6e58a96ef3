// The world outside the BEAM that the trio talks to, as data: durable
// storage, the `fly` CLI, the config file, the application environment
// (the read_config_file flag) and the system clock.
//
// These are C++ objects shared by every process of a run; they are not
// processes, so they survive every crash (a whole-node restart clears a
// non-durable store: see MemoryStorage::node_restart). Each is an interface
// with a simulated implementation configured by data; a test may put a
// GoogleMock in its place to check the calls. The model reaches them only
// after a Ctx::external step naming the resource, so strategies see every
// operation on them as a step, and the operation itself is atomic.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/ids.hpp"
#include "sim/term.hpp"

namespace otpsim::core::tokens {

using sim::Micros;

/// Resource ids for Ctx::external.
enum class Resource : std::uint64_t { storage = 1, cli = 2, config_file = 3 };

enum class StorageKey : std::uint8_t { cached, manual };
std::string_view storage_key_name(StorageKey key);

/// A stored token: `cached` rows expire, `manual` rows do not.
class StorageRecord {
 public:
  StorageRecord() = default;
  StorageRecord(std::string token_, std::optional<std::int64_t> expires_at_s_)
      : token(std::move(token_)), expires_at_s(expires_at_s_) {}
  std::string token;
  std::optional<std::int64_t> expires_at_s;  // nullopt: never expires
  friend bool operator==(const StorageRecord&, const StorageRecord&) = default;
};

/// The result of a storage call: a value, or an error reason (a put that
/// raises, a get that returns :error).
class StorageError {
 public:
  explicit StorageError(sim::Term reason_) : reason(std::move(reason_)) {}
  sim::Term reason;
};

/// The storage_mod contract: get → {ok, record} | error; put → ok or raises;
/// delete → ok. Implementations must be deterministic.
class Storage {
 public:
  virtual ~Storage() = default;
  /// nullopt: no such record. A StorageError: the backend failed.
  virtual std::optional<StorageRecord> get(const std::string& app, StorageKey key, std::optional<StorageError>& error) = 0;
  /// nullopt on success.
  virtual std::optional<StorageError> put(const std::string& app, StorageKey key, const StorageRecord& record) = 0;
  virtual void erase(const std::string& app, StorageKey key) = 0;
  /// Simulated time one get (or put) takes. Read before the call runs.
  virtual Micros get_latency_us() const { return 0; }
  virtual Micros put_latency_us() const { return 0; }
};

/// How the simulated store misbehaves; faults change these during a run.
class StorageFaults {
 public:
  StorageFaults() = default;
  bool fail_put = false;  // every put raises {storage_error, put}
  bool fail_get = false;  // every get returns error
  Micros get_latency_us = 0;
  Micros put_latency_us = 0;
};

/// The in-memory store (stands for a disk file, or with `durable` off, for
/// a store in the node's memory that a whole-node restart loses).
class MemoryStorage final : public Storage {
 public:
  MemoryStorage() = default;
  std::optional<StorageRecord> get(const std::string& app, StorageKey key, std::optional<StorageError>& error) override;
  std::optional<StorageError> put(const std::string& app, StorageKey key, const StorageRecord& record) override;
  void erase(const std::string& app, StorageKey key) override;
  Micros get_latency_us() const override { return faults.get_latency_us; }
  Micros put_latency_us() const override { return faults.put_latency_us; }

  /// A whole-node restart: a non-durable store forgets everything.
  void node_restart();
  /// The record as stored now, read from outside the simulation.
  std::optional<StorageRecord> peek(const std::string& app, StorageKey key) const;

  bool durable = true;
  StorageFaults faults;
  std::uint64_t gets = 0, puts = 0, failed_puts = 0, deletes = 0;

 private:
  std::map<std::pair<std::string, StorageKey>, StorageRecord> rows_;
};

/// One run of `fly tokens create readonly -a APP`.
class CliRun {
 public:
  CliRun() = default;
  CliRun(int exit_code_, std::string output_, Micros latency_us_ = 0, bool hang_ = false)
      : exit_code(exit_code_), output(std::move(output_)), latency_us(latency_us_), hang(hang_) {}
  int exit_code = 0;
  std::string output;  // stdout; the token once trimmed
  Micros latency_us = 0;
  bool hang = false;  // never returns (the task is killed at cli_timeout)
};

/// The cmd_fn contract. Called when the CLI task starts.
class Cli {
 public:
  virtual ~Cli() = default;
  virtual CliRun run(const std::string& app) = 0;
};

/// How the simulated CLI behaves; faults change these during a run.
class CliBehaviour {
 public:
  CliBehaviour() = default;
  int exit_code = 0;
  /// The output; empty (the default) issues a fresh token "cli-APP-N" per run.
  std::optional<std::string> output;
  Micros latency_us = 0;
  bool hang = false;
  bool missing = false;  // not installed: exit 127, no output
};

class SimCli final : public Cli {
 public:
  CliRun run(const std::string& app) override;
  CliBehaviour behaviour;
  std::map<std::string, CliBehaviour> per_app;  // overrides behaviour for one app
  std::uint64_t runs = 0;
  std::vector<std::string> runs_by_app;  // the app of each run, in order
};

/// config_file_fn: the text of ~/.fly/config.yml, or nullopt if absent.
class ConfigFile {
 public:
  virtual ~ConfigFile() = default;
  virtual std::optional<std::string> read() = 0;
};

class SimConfigFile final : public ConfigFile {
 public:
  std::optional<std::string> read() override {
    ++reads;
    return content;
  }
  std::optional<std::string> content;  // absent by default
  std::uint64_t reads = 0;
};

/// The `access_token:` value of a config file's text, or nullopt.
std::optional<std::string> parse_access_token(const std::string& text);

/// Everything outside the processes. The simulated implementations are
/// owned here; a test may point `storage`, `cli` or `config_file` at its
/// own (a mock) instead.
class Env {
 public:
  Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MemoryStorage memory_storage;
  SimCli sim_cli;
  SimConfigFile sim_config_file;
  Storage* storage;
  Cli* cli;
  ConfigFile* config_file;

  /// Application.get_env(:ex_atlas, :fly_read_config_file): read by each
  /// AppServer once, at start.
  bool read_config_file = true;
  /// Added to simulated time to give the system clock (a clock jump moves it).
  Micros clock_offset_us = 0;

  /// System.system_time(:second) at simulated time `now_us`.
  std::int64_t system_time_s(Micros now_us) const;
};

}  // namespace otpsim::core::tokens
