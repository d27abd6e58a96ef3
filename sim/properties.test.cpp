// rapidcheck properties of the kernel under random schedules. Each property
// draws the program's shape and the scheduler seed; a failure shrinks both.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "sim/simulation.hpp"
#include "sim/test_support.hpp"

namespace otpsim::sim {
namespace {

using testing::World;

// Senders interleave their sends with yields and sends to a second
// receiver; the receiver sometimes receives selectively from one sender.
// Per sender->receiver pair, messages arrive in send order.
RC_GTEST_PROP(Properties, messages_between_one_pair_arrive_in_send_order, ()) {
  const auto senders = *rc::gen::inRange(1, 6);
  const auto per_sender = *rc::gen::inRange(1, 25);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  World w(seed, TraceLevel::off);
  std::map<std::int64_t, std::vector<std::int64_t>> seen;  // sender index -> seqs
  Pid other = w.spawn([](Ctx ctx) -> Proc {
    for (;;) co_await ctx.receive();
  });
  Pid receiver = w.spawn([&, senders, per_sender](Ctx ctx) -> Proc {
    for (int n = 0; n < senders * per_sender; ++n) {
      std::optional<Term> m;
      if (ctx.choose(3) == 0) {
        const auto from = static_cast<std::int64_t>(ctx.choose(static_cast<std::uint64_t>(senders)));
        m = co_await ctx.receive([from](const Term& t) { return t[0].integer() == from; }, 0);
        if (!m) m = co_await ctx.receive();
      } else {
        m = co_await ctx.receive();
      }
      seen[(*m)[0].integer()].push_back((*m)[1].integer());
    }
  });
  for (int s = 0; s < senders; ++s) {
    w.spawn([=](Ctx ctx) -> Proc {
      for (int i = 0; i < per_sender; ++i) {
        co_await ctx.send(receiver, tuple(s, i));
        if (ctx.choose(2) == 0) co_await ctx.yield();
        if (ctx.choose(4) == 0) co_await ctx.send(other, atom("noise"));
      }
    });
  }
  RunResult r = w.run();
  RC_ASSERT(r.outcome == Outcome::quiescent);
  RC_ASSERT(seen.size() == static_cast<std::size_t>(senders));
  for (const auto& [sender, seqs] : seen) {
    RC_ASSERT(seqs.size() == static_cast<std::size_t>(per_sender));
    for (std::size_t i = 0; i < seqs.size(); ++i) RC_ASSERT(seqs[i] == static_cast<std::int64_t>(i));
  }
}

// Whatever kills what and when, every monitor delivers exactly one DOWN,
// with the reason the target died of.
RC_GTEST_PROP(Properties, every_monitor_delivers_exactly_one_down, ()) {
  const auto targets = *rc::gen::inRange(1, 8);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  World w(seed, TraceLevel::off);
  std::map<std::uint64_t, int> downs;  // ref -> count
  std::map<std::uint64_t, std::string> down_reason;
  std::map<std::uint64_t, Pid> ref_target;
  std::vector<Pid> pids;
  for (int i = 0; i < targets; ++i) {
    pids.push_back(w.spawn([](Ctx ctx) -> Proc {
      auto choice = ctx.choose(3);
      if (choice == 0) co_return;                       // normal
      if (choice == 1) ctx.exit(atom("crashed"));       // abnormal
      co_await ctx.receive();                           // waits to be killed
    }));
  }
  w.spawn([&](Ctx ctx) -> Proc {
    std::size_t monitors = 0;
    for (Pid p : pids) {
      for (std::uint64_t k = 0, n = 1 + ctx.choose(2); k < n; ++k) {  // stacked monitors
        Ref ref = co_await ctx.monitor(p);
        ref_target[ref.id] = p;
        ++monitors;
      }
      if (ctx.choose(2) == 0) co_await ctx.exit(p, atom("kill"));
      else co_await ctx.exit(p, atom("stop"));
    }
    for (std::size_t i = 0; i < monitors; ++i) {
      auto m = co_await ctx.receive();
      RC_ASSERT(m->is_tagged(atoms::down_tag(), 5));
      downs[(*m)[1].ref().id]++;
      down_reason[(*m)[1].ref().id] = (*m)[4].to_string();
    }
    auto extra = co_await ctx.receive(0);
    RC_ASSERT(!extra.has_value());
  });
  w.run();
  RC_ASSERT(downs.size() == ref_target.size());
  for (const auto& [ref, count] : downs) {
    RC_ASSERT(count == 1);
    const std::string died_of = w.reason(ref_target[ref]);
    // A target that was already gone when monitored reports noproc.
    RC_ASSERT(down_reason[ref] == died_of || down_reason[ref] == "noproc");
  }
}

// Any seed: two runs agree byte for byte, and the token replays the run.
RC_GTEST_PROP(Properties, any_seed_replays_exactly, ()) {
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto workers = *rc::gen::inRange(2, 6);
  Program p{"prop/replay", "", [workers](Kernel& k) {
    k.spawn([workers](Ctx ctx) -> Proc {
      ctx.trap_exit(true);
      auto t = co_await ctx.table_new();
      for (int i = 0; i < workers; ++i) {
        co_await ctx.spawn_link([i, tab = t.value](Ctx c) -> Proc {
          (void)co_await c.insert(tab, tuple(i % 2, i));
          co_await c.sleep(static_cast<Micros>(c.choose(3)) * 10);
          if (c.choose(2) == 0) c.exit(atom("boom"));
        });
      }
      for (int i = 0; i < workers; ++i) co_await ctx.receive();
    });
  }};
  Simulation a(p, RunOptions{"random", seed, {}, TraceLevel::full});
  a.run();
  Simulation b(p, RunOptions{"random", seed, {}, TraceLevel::full});
  b.run();
  RC_ASSERT(a.trace().text() == b.trace().text());
  Simulation replay(p, a.token(), TraceLevel::full);
  replay.run();
  RC_ASSERT(replay.replay_error().empty());
  RC_ASSERT(replay.trace().text() == a.trace().text());
}

}  // namespace
}  // namespace otpsim::sim
