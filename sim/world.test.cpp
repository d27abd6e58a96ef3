// What a model uses to reach outside its processes: table operations by
// name, external-resource steps, and emitted events (telemetry, logs).
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "sim/test_support.hpp"

namespace otpsim::sim {
namespace {

using testing::World;

TEST(NamedTables, operations_by_name_resolve_the_name_when_they_run) {
  World w;
  std::optional<Term> row;
  TableStatus after_death = TableStatus::ok;
  w.spawn([&](Ctx ctx) -> Proc {
    auto owner = [](Ctx c) -> Proc {
      (void)co_await c.table_new(TableOptions(TableAccess::public_access, Term(atom("cache"))));
      co_await c.receive();
    };
    Pid p = co_await ctx.spawn(owner);
    co_await ctx.yield();
    EXPECT_EQ(co_await ctx.insert(Atom("cache"), tuple(atom("a"), 1)), TableStatus::ok);
    row = (co_await ctx.lookup(Atom("cache"), Term(atom("a")))).value;
    EXPECT_EQ(co_await ctx.erase(Atom("cache"), Term(atom("a"))), TableStatus::ok);
    EXPECT_FALSE((co_await ctx.lookup(Atom("cache"), Term(atom("a")))).value.has_value());
    co_await ctx.exit(p, Term(atom("kill")));
    co_await ctx.sleep(1);
    after_death = co_await ctx.insert(Atom("cache"), tuple(atom("a"), 2));
  });
  w.run();
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(*row, tuple(atom("a"), 1));
  EXPECT_EQ(after_death, TableStatus::no_table);
}

TEST(NamedTables, a_recreated_table_is_found_under_the_same_name) {
  World w;
  std::optional<Term> row;
  w.spawn([&](Ctx ctx) -> Proc {
    auto t1 = co_await ctx.table_new(TableOptions(TableAccess::public_access, Term(atom("cache"))));
    EXPECT_EQ(co_await ctx.delete_table(t1.value), TableStatus::ok);
    auto t2 = co_await ctx.table_new(TableOptions(TableAccess::public_access, Term(atom("cache"))));
    EXPECT_NE(t1.value, t2.value);
    EXPECT_EQ(co_await ctx.insert(Atom("cache"), tuple(atom("k"), 7)), TableStatus::ok);
    row = (co_await ctx.lookup(t2.value, Term(atom("k")))).value;
  });
  w.run();
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)[1], Term(7));
}

/// Records the step descriptions strategies see and the emitted events.
class Watch : public Observer {
 public:
  void on_step(const StepInfo& s) override {
    if (s.effect == EffectKind::external) externals.push_back(s.object);
  }
  void on_event(Pid pid, const Term& event) override { events.emplace_back(pid, event); }
  std::vector<StepObject> externals;
  std::vector<std::pair<Pid, Term>> events;
};

TEST(External, is_a_step_that_names_its_resource) {
  World w;
  Watch watch;
  w.kernel.set_observer(&watch);
  Micros at = -1;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.external(7, Atom("storage_get"));
    at = ctx.now_us();
  });
  RunResult r = w.run();
  EXPECT_EQ(at, 0);
  ASSERT_EQ(watch.externals.size(), 1u);
  EXPECT_EQ(watch.externals[0].kind, StepObject::Kind::external);
  EXPECT_EQ(watch.externals[0].id, 7u);
  EXPECT_EQ(r.steps, 3u);  // start, external, die
  EXPECT_NE(w.kernel.trace().text().find("external 7 storage_get"), std::string::npos);
}

TEST(Emit, events_reach_the_observer_and_the_trace_without_a_step) {
  World w;
  Watch watch;
  w.kernel.set_observer(&watch);
  Pid self;
  w.spawn([&](Ctx ctx) -> Proc {
    self = ctx.self();
    ctx.emit(tuple(atom("telemetry"), atom("start")));
    ctx.emit(tuple(atom("telemetry"), atom("stop")));
    co_return;
  });
  RunResult r = w.run();
  EXPECT_EQ(r.steps, 2u);  // start, die: emitting is not a step
  ASSERT_EQ(watch.events.size(), 2u);
  EXPECT_EQ(watch.events[0].first, self);
  EXPECT_EQ(watch.events[1].second, tuple(atom("telemetry"), atom("stop")));
  const std::string text = w.kernel.trace().text();
  EXPECT_NE(text.find("event {telemetry,start}"), std::string::npos) << text;
}

}  // namespace
}  // namespace otpsim::sim

namespace otpsim::sim {
namespace {

TEST(RequestStop, ends_the_run_before_the_next_step_with_processes_as_they_are) {
  World w;
  Kernel* k = &w.kernel;
  bool after = false;
  Pid sleeper = w.spawn([](Ctx ctx) -> Proc { co_await ctx.sleep(1000); });
  w.spawn([k, &after](Ctx ctx) -> Proc {
    co_await ctx.yield();
    k->request_stop();
    co_await ctx.yield();
    after = true;
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::stopped);
  EXPECT_FALSE(after);
  EXPECT_TRUE(w.kernel.is_alive(sleeper));
  EXPECT_EQ(w.kernel.now_us(), 0);
  r = w.run();  // a later run goes on from there
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_TRUE(after);
}

}  // namespace
}  // namespace otpsim::sim

namespace otpsim::sim {
namespace {

TEST(EraseObject, deletes_only_the_exact_row) {
  World w;
  bool first = true, second = false;
  std::optional<Term> left;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new()).value;
    (void)co_await ctx.insert(t, tuple(atom("k"), 2));
    auto stale = co_await ctx.erase_object(t, tuple(atom("k"), 1));  // the row changed meanwhile
    first = stale.value;
    left = (co_await ctx.lookup(t, Term(atom("k")))).value;
    auto exact = co_await ctx.erase_object(t, tuple(atom("k"), 2));
    second = exact.value;
  });
  w.run();
  EXPECT_FALSE(first);
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, tuple(atom("k"), 2));
  EXPECT_TRUE(second);
}

}  // namespace
}  // namespace otpsim::sim
