// supervisor: strategies, restart types, intensity, shutdown, and the
// supervisor_SUITE cases of ../shared/reference/otp-semantics.md section 9.
#include "core/otp/supervisor.hpp"

#include <gtest/gtest.h>

#include "core/otp/testing.hpp"

namespace otpsim::core::otp {
namespace {

using namespace testing;
using Lines = std::vector<std::string>;
using sim::atom;
namespace sa = sim::atoms;

Task<Pid> start_sup(Ctx ctx, SupervisorFlags flags, std::vector<ChildSpec> children) {
  Term r = co_await supervisor::start_link(ctx, flags, std::move(children), StartOptions(ServerName(), "sup"));
  EXPECT_TRUE(r.is_tagged(sa::ok(), 2)) << r;
  co_return r[1].pid();
}

Task<Pid> child_pid(Ctx ctx, Pid sup, const char* id) {
  Term children = co_await supervisor::which_children(ctx, ServerRef(sup));
  for (const Term& c : children.elements()) {
    if (c[0].is_atom(id) && c[1].is_pid()) co_return c[1].pid();
  }
  co_return Pid{};
}

Task<> kill_child(Ctx ctx, Pid sup, const char* id, Term reason) {
  Pid p = co_await child_pid(ctx, sup, id);
  Ref m = co_await ctx.monitor(p);
  co_await ctx.exit(p, reason);
  co_await ctx.receive([m](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(m); });
}

TEST(Supervisor, one_for_one_restarts_only_the_failed_child) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one),
                                 specs(worker_spec("c1"), worker_spec("c2"), worker_spec("c3")));
    Pid c1 = co_await child_pid(ctx, sup, "c1");
    co_await kill_child(ctx, sup, "c2", atom("kill"));
    co_await wait_lines(ctx, out, 5);
    EXPECT_EQ(co_await child_pid(ctx, sup, "c1"), c1);
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "start c3", "exit c2 killed", "start c2"}));
}

}  // namespace
}  // namespace otpsim::core::otp
