// Trace exports: a readable timeline, JSON Lines, Chrome/Perfetto JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/test_support.hpp"

namespace otpsim::sim {
namespace {

using testing::World;

void small_program(World& w) {
  Pid echo = w.spawn([](Ctx ctx) -> Proc {
    auto m = co_await ctx.receive();
    co_await ctx.send((*m)[0].pid(), (*m)[1]);
  }, "echo");
  w.spawn([echo](Ctx ctx) -> Proc {
    co_await ctx.sleep(2500);
    co_await ctx.send(echo, tuple(ctx.self(), Term::string("hi \"there\"")));
    co_await ctx.receive();
    ctx.exit(atom("done"));
  }, "client");
}

TEST(Trace, the_text_timeline_names_steps_times_pids_and_effects) {
  World w;
  small_program(w);
  w.run();
  std::string text = w.kernel.trace().text();
  EXPECT_NE(text.find("<0.1.0>(echo) start"), std::string::npos) << text;
  EXPECT_NE(text.find("0.002500s -- clock advances"), std::string::npos) << text;
  EXPECT_NE(text.find("<0.2.0>(client) send <0.1.0>(echo) ! {<0.2.0>,\"hi \\\"there\\\"\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("<0.2.0>(client) exited done"), std::string::npos) << text;
}

TEST(Trace, every_step_has_exactly_one_step_event_in_order) {
  World w;
  small_program(w);
  RunResult r = w.run();
  std::uint64_t steps = 0;
  std::uint64_t last = 0;
  for (const TraceEvent& e : w.kernel.trace().events) {
    EXPECT_GE(e.step, last);
    last = e.step;
    if (e.kind == TraceKind::step) {
      EXPECT_EQ(e.step, steps);
      ++steps;
    }
  }
  EXPECT_EQ(steps, r.steps);
}

TEST(Trace, json_lines_have_one_valid_object_per_event) {
  World w;
  small_program(w);
  w.run();
  std::ostringstream out;
  w.kernel.trace().write_jsonl(out);
  std::istringstream in(out.str());
  std::string line;
  std::size_t count = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("step"));
    EXPECT_TRUE(j.contains("t_us"));
    EXPECT_TRUE(j.contains("event"));
    ++count;
  }
  EXPECT_EQ(count, w.kernel.trace().events.size());
}

TEST(Trace, chrome_trace_json_parses_and_names_each_process_track) {
  World w;
  small_program(w);
  w.run();
  for (auto axis : {Trace::TimeAxis::simulated, Trace::TimeAxis::steps}) {
    std::ostringstream out;
    w.kernel.trace().write_chrome(out, axis);
    auto j = nlohmann::json::parse(out.str());
    ASSERT_TRUE(j["traceEvents"].is_array());
    bool named_echo = false;
    std::size_t instants = 0;
    for (const auto& e : j["traceEvents"]) {
      if (e["ph"] == "M" && e["name"] == "thread_name" && e["args"]["name"] == "<0.1.0>(echo)") named_echo = true;
      if (e["ph"] == "i") ++instants;
    }
    EXPECT_TRUE(named_echo);
    EXPECT_GT(instants, 5u);
  }
}

TEST(Trace, tracing_off_records_no_events_but_keeps_the_choice_log) {
  World w(3, TraceLevel::off);
  for (int i = 0; i < 3; ++i) {
    w.spawn([](Ctx ctx) -> Proc {
      for (int j = 0; j < 5; ++j) co_await ctx.yield();
    });
  }
  w.run();
  EXPECT_TRUE(w.kernel.trace().events.empty());
  EXPECT_FALSE(w.kernel.choices().empty());
}

TEST(Trace, json_escape_handles_quotes_backslashes_and_control_characters) {
  EXPECT_EQ(json_escape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

}  // namespace
}  // namespace otpsim::sim
