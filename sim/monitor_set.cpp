#include "sim/process.hpp"

namespace otpsim::sim::detail {

namespace {
constexpr std::size_t index_from = 16;  // below this many entries a scan is cheaper than a map
}  // namespace

void MonitorSet::add(Ref ref, Pid other) {
  entries_.push_back({ref, other});
  if (index_) {
    index_->emplace(ref.id, entries_.size() - 1);
  } else if (entries_.size() >= index_from) {
    index_ = std::make_unique<std::unordered_map<std::uint64_t, std::size_t>>();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].ref) index_->emplace(entries_[i].ref.id, i);
    }
  }
}

std::size_t MonitorSet::position(Ref ref) const {
  if (!ref) return entries_.size();
  if (index_) {
    auto it = index_->find(ref.id);
    return it == index_->end() ? entries_.size() : it->second;
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].ref == ref) return i;
  }
  return entries_.size();
}

const MonitorEntry* MonitorSet::find(Ref ref) const {
  const std::size_t at = position(ref);
  return at == entries_.size() ? nullptr : &entries_[at];
}

bool MonitorSet::remove(Ref ref) {
  const std::size_t at = position(ref);
  if (at == entries_.size()) return false;
  if (index_) index_->erase(ref.id);
  entries_[at].ref = Ref{};
  ++holes_;
  if (holes_ * 2 > entries_.size()) compact();
  return true;
}

void MonitorSet::compact() {
  std::erase_if(entries_, [](const MonitorEntry& m) { return !m.ref; });
  holes_ = 0;
  if (!index_) return;
  if (entries_.size() < index_from) {
    index_.reset();
    return;
  }
  index_->clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) index_->emplace(entries_[i].ref.id, i);
}

}  // namespace otpsim::sim::detail
