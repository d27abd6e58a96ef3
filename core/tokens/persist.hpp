// Durable storage as the AppServer reaches it: each operation is a
// Ctx::external step on Resource::storage, after the backend's latency.
#pragma once

#include "core/tokens/trio.hpp"

namespace otpsim::core::tokens {

/// storage.get(app, key): the record, or nullopt on a miss or a failed get.
Task<std::optional<StorageRecord>> storage_get(Ctx ctx, const Trio* trio, std::string app, StorageKey key);

/// storage.put(app, key, record) in the calling process: nullopt, or the
/// error the put raised. A landed write emits {persisted, App, Key, Token}.
Task<std::optional<StorageError>> storage_put(Ctx ctx, const Trio* trio, std::string app, StorageKey key,
                                              StorageRecord record);

/// The async persist: a temporary task under the TaskSupervisor writes the
/// record; a failure is logged ({log, error, App, {persist_failed, R}}) and
/// nothing else. Without a running TaskSupervisor (or with use_task_sup
/// off) the write runs inline, in the caller. Exits the caller (noproc) if
/// the TaskSupervisor dies between the lookup and the start, as
/// Task.Supervisor.start_child does.
Task<> persist_async(Ctx ctx, const Trio* trio, std::string app, StorageKey key, StorageRecord record);

}  // namespace otpsim::core::tokens
