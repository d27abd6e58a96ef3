#include "sim/shrink.hpp"

#include <algorithm>

namespace otpsim::sim {

namespace {

void strip_zeros(std::vector<std::uint64_t>& v) {
  while (!v.empty() && v.back() == 0) v.pop_back();
}

bool better(std::uint64_t rank, std::uint64_t cost, const std::vector<std::uint64_t>& v, std::uint64_t best_rank,
            std::uint64_t best_cost, const std::vector<std::uint64_t>& best) {
  if (rank != best_rank) return rank < best_rank;
  if (cost != best_cost) return cost < best_cost;
  if (v.size() != best.size()) return v.size() < best.size();
  return v < best;
}

class Shrinker {
 public:
  Shrinker(std::vector<std::uint64_t> start, std::uint64_t cost, std::uint64_t rank, const ShrinkTest& test,
           std::uint64_t max_attempts)
      : test_(test), max_attempts_(max_attempts) {
    strip_zeros(start);
    result_.choices = std::move(start);
    result_.cost = cost;
    result_.rank = rank;
  }

  ShrinkResult run() {
    bool improved = true;
    while (improved && budget_left()) {
      improved = false;
      improved |= cut_tail();
      for (std::size_t chunk : {8, 4, 2, 1}) improved |= delete_chunks(chunk);
      improved |= lower_values();
    }
    return result_;
  }

 private:
  bool budget_left() const { return result_.attempts < max_attempts_; }

  /// Tries a candidate; keeps it (normalised to what the run used) if it
  /// fails and is better.
  bool attempt(const std::vector<std::uint64_t>& candidate) {
    if (!budget_left()) return false;
    ++result_.attempts;
    std::optional<ShrinkAttempt> a = test_(candidate);
    if (!a) return false;
    std::vector<std::uint64_t> used = std::move(a->used);
    strip_zeros(used);
    if (!better(a->rank, a->cost, used, result_.rank, result_.cost, result_.choices)) return false;
    result_.choices = std::move(used);
    result_.cost = a->cost;
    result_.rank = a->rank;
    ++result_.accepted;
    return true;
  }

  bool cut_tail() {
    // The shortest prefix that still fails, trying lengths 0, 1, 2, 4, ...
    const std::size_t n = result_.choices.size();
    for (std::size_t len = 0; len < n; len = len == 0 ? 1 : len * 2) {
      std::vector<std::uint64_t> c(result_.choices.begin(), result_.choices.begin() + static_cast<std::ptrdiff_t>(len));
      if (attempt(c)) return true;
    }
    return false;
  }

  bool delete_chunks(std::size_t chunk) {
    bool any = false;
    std::size_t i = result_.choices.size();
    while (i > 0 && budget_left()) {
      i = i >= chunk ? i - chunk : 0;
      if (i + chunk > result_.choices.size()) continue;
      std::vector<std::uint64_t> c = result_.choices;
      c.erase(c.begin() + static_cast<std::ptrdiff_t>(i), c.begin() + static_cast<std::ptrdiff_t>(i + chunk));
      any |= attempt(c);
    }
    return any;
  }

  bool lower_values() {
    bool any = false;
    for (std::size_t i = 0; i < result_.choices.size() && budget_left(); ++i) {
      const std::uint64_t v = result_.choices[i];
      if (v == 0) continue;
      for (std::uint64_t lower : {std::uint64_t{0}, v / 2, v - 1}) {
        if (i >= result_.choices.size() || lower >= result_.choices[i]) continue;
        std::vector<std::uint64_t> c = result_.choices;
        c[i] = lower;
        if (attempt(c)) {
          any = true;
          break;
        }
      }
    }
    return any;
  }

  const ShrinkTest& test_;
  std::uint64_t max_attempts_;
  ShrinkResult result_;
};

}  // namespace

ShrinkResult shrink_choices(std::vector<std::uint64_t> start, std::uint64_t start_cost, const ShrinkTest& test,
                            std::uint64_t max_attempts, std::uint64_t start_rank) {
  return Shrinker(std::move(start), start_cost, start_rank, test, max_attempts).run();
}

}  // namespace otpsim::sim
