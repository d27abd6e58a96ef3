// A rapidcheck property: a one_for_one supervisor under a random series of
// child kills at random times gives up exactly when add_restart/3, applied
// to the same kill times, says it must; until then every kill is followed
// by a restart of that child only.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/otp/supervisor.hpp"
#include "core/otp/testing.hpp"

namespace otpsim::core::otp {
namespace {

using namespace testing;
namespace sa = sim::atoms;

struct Plan {
  int intensity = 1;
  int period_s = 1;
  std::vector<std::pair<int, Micros>> kills;  // (child index, delay before the kill)
};

// What supervisor.erl does with those kills: survives until add_restart says stop.
std::size_t kills_until_give_up(const Plan& plan) {
  std::deque<std::int64_t> restarts;
  Micros now = 0;
  for (std::size_t i = 0; i < plan.kills.size(); ++i) {
    now += plan.kills[i].second;
    if (add_restart(restarts, now / 1'000'000, plan.intensity, plan.period_s)) return i + 1;
  }
  return 0;  // never
}

RC_GTEST_PROP(SupervisorModel, gives_up_exactly_when_add_restart_says_so, ()) {
  static Plan plan;
  plan.intensity = *rc::gen::inRange(0, 4);
  plan.period_s = *rc::gen::inRange(1, 6);
  plan.kills = *rc::gen::container<std::vector<std::pair<int, Micros>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::map(rc::gen::inRange(0, 40), [](int d) { return Micros{d} * 250'000; })));
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  static std::size_t killed_before_exit;
  static std::string fate_seen;
  killed_before_exit = 0;
  fate_seen = "alive";
  std::vector<std::string> lines = run_scenario([](Ctx ctx, std::vector<std::string>&) -> Task<> {
    Term r = co_await supervisor::start_link(ctx, SupervisorFlags(Strategy::one_for_one, plan.intensity, plan.period_s),
                                             specs(worker_spec("c0"), worker_spec("c1"), worker_spec("c2")),
                                             StartOptions(ServerName(), "sup"));
    Pid sup = r[1].pid();
    Ref m = co_await ctx.monitor(sup);
    for (const auto& [index, delay] : plan.kills) {
      co_await ctx.sleep(delay);
      Term children = co_await supervisor::which_children(ctx, ServerRef(sup));
      Pid target;
      const std::string id = "c" + std::to_string(index);
      for (const Term& c : children.elements()) {
        if (c[0].is_atom(id) && c[1].is_pid()) target = c[1].pid();
      }
      RC_ASSERT(static_cast<bool>(target));
      Ref cm = co_await ctx.monitor(target);
      co_await ctx.exit(target, Term(sa::kill()));
      co_await ctx.receive([cm](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(cm); });
      ++killed_before_exit;
      // Has it given up already? Else let this instant play out and look again.
      auto down = co_await ctx.receive(
          [m](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(m); }, 0);
      if (down) {
        fate_seen = canonical((*down)[4]);
        co_return;
      }
      co_await ctx.sleep(1);  // the restart (or the give-up) happens at this instant
      down = co_await ctx.receive([m](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(m); }, 0);
      if (down) {
        fate_seen = canonical((*down)[4]);
        co_return;
      }
    }
  }, seed);
  const std::size_t expected = kills_until_give_up(plan);
  if (expected == 0) {
    RC_ASSERT(fate_seen == std::string("alive"));
    RC_ASSERT(killed_before_exit == plan.kills.size());
  } else {
    RC_ASSERT(fate_seen == std::string("shutdown"));
    RC_ASSERT(killed_before_exit == expected);
  }
  // Every kill before the give-up restarted exactly the killed child.
  std::size_t starts = 0;
  for (const std::string& l : lines) starts += l.starts_with("start ") ? 1 : 0;
  const std::size_t restarts = expected == 0 ? plan.kills.size() : expected - 1;
  RC_ASSERT(starts == 3 + restarts);
}

}  // namespace
}  // namespace otpsim::core::otp
