// ETS-like tables: set semantics, access rights, ownership and names
// (otp-semantics.md section 6 and claim 35). A missing table is the value
// TableStatus::no_table, never a crash.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "sim/test_support.hpp"

namespace otpsim::sim {

// Readable terms in assertion failures (found by gtest through ADL).

namespace {

using testing::World;

TableOptions named(std::string_view name, TableAccess access = TableAccess::public_access) {
  return TableOptions{access, atom(name)};
}

TableOptions with_access(TableAccess access) { return TableOptions{access, Term()}; }

/// Waits forever for a message it never gets.
Task<> block(Ctx ctx) { co_await ctx.receive([](const Term&) { return false; }); }

// -- set semantics --

TEST(Tables, insert_replaces_the_row_with_the_same_key) {
  World w;
  std::optional<Term> row;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new()).value;
    EXPECT_EQ(co_await ctx.insert(t, tuple(atom("k"), 1)), TableStatus::ok);
    EXPECT_EQ(co_await ctx.insert(t, tuple(atom("k"), 2, atom("extra"))), TableStatus::ok);
    row = (co_await ctx.lookup(t, atom("k"))).value;
  });
  w.run();
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(*row, tuple(atom("k"), 2, atom("extra")));
}

TEST(Tables, insert_new_inserts_only_when_the_key_is_absent) {
  World w;
  std::vector<bool> inserted;
  std::optional<Term> row;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new()).value;
    auto first = co_await ctx.insert_new(t, tuple(atom("k"), 1));
    auto second = co_await ctx.insert_new(t, tuple(atom("k"), 2));
    EXPECT_TRUE(first.ok());
    EXPECT_TRUE(second.ok());  // not an error: it just did not insert
    inserted = {first.value, second.value};
    row = (co_await ctx.lookup(t, atom("k"))).value;
  });
  w.run();
  EXPECT_EQ(inserted, (std::vector<bool>{true, false}));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(*row, tuple(atom("k"), 1));  // the first row stays
}

TEST(Tables, lookup_of_a_missing_key_is_ok_with_no_value) {
  World w;
  std::optional<TableResult<std::optional<Term>>> result;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new()).value;
    co_await ctx.insert(t, tuple(atom("other"), 1));
    result = co_await ctx.lookup(t, atom("k"));
  });
  w.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, TableStatus::ok);
  EXPECT_FALSE(result->value.has_value());
}

TEST(Tables, erase_removes_the_row_and_erasing_a_missing_key_is_ok) {
  World w;
  std::vector<TableStatus> statuses;
  std::optional<Term> erased_row;
  std::optional<Term> kept_row;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new()).value;
    co_await ctx.insert(t, tuple(atom("a"), 1));
    co_await ctx.insert(t, tuple(atom("b"), 2));
    statuses.push_back(co_await ctx.erase(t, atom("a")));
    statuses.push_back(co_await ctx.erase(t, atom("a")));
    statuses.push_back(co_await ctx.erase(t, atom("never")));
    erased_row = (co_await ctx.lookup(t, atom("a"))).value;
    kept_row = (co_await ctx.lookup(t, atom("b"))).value;
  });
  w.run();
  EXPECT_EQ(statuses, (std::vector<TableStatus>(3, TableStatus::ok)));
  EXPECT_FALSE(erased_row.has_value());
  ASSERT_TRUE(kept_row.has_value());
  EXPECT_EQ(*kept_row, tuple(atom("b"), 2));
}

TEST(Tables, rows_are_keyed_by_their_first_element_compared_as_terms) {
  World w;
  std::vector<std::optional<Term>> rows;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new()).value;
    co_await ctx.insert(t, tuple(atom("k"), 1));
    co_await ctx.insert(t, tuple(Term::string("k"), 2));
    co_await ctx.insert(t, tuple(tuple(atom("k"), 1), 3));
    co_await ctx.insert(t, tuple(1, 4));
    co_await ctx.insert(t, tuple(atom("lonely")));  // a one-element row
    rows.push_back((co_await ctx.lookup(t, atom("k"))).value);
    rows.push_back((co_await ctx.lookup(t, Term::string("k"))).value);
    rows.push_back((co_await ctx.lookup(t, tuple(atom("k"), 1))).value);
    rows.push_back((co_await ctx.lookup(t, 1)).value);
    rows.push_back((co_await ctx.lookup(t, atom("lonely"))).value);
  });
  w.run();
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& row : rows) ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*rows[0])[1], Term(1));
  EXPECT_EQ((*rows[1])[1], Term(2));
  EXPECT_EQ((*rows[2])[1], Term(3));
  EXPECT_EQ((*rows[3])[1], Term(4));
  EXPECT_EQ(*rows[4], tuple(atom("lonely")));
}

TEST(Tables, a_row_must_be_a_non_empty_tuple) {
  World w;
  std::vector<TableStatus> statuses;
  std::optional<Term> row;
  TableId table;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new()).value;
    table = t;
    statuses.push_back(co_await ctx.insert(t, Term(5)));
    statuses.push_back(co_await ctx.insert(t, atom("k")));
    statuses.push_back(co_await ctx.insert(t, Term::tuple(std::vector<Term>{})));
    statuses.push_back(co_await ctx.insert(t, list(atom("k"), 1)));
    statuses.push_back(co_await ctx.insert(t, Term::string("k")));
    statuses.push_back((co_await ctx.insert_new(t, Term(5))).status);
    statuses.push_back((co_await ctx.insert_new(t, Term::tuple(std::vector<Term>{}))).status);
    row = (co_await ctx.lookup(t, atom("k"))).value;
    co_await block(ctx);  // keep the table alive for table_peek
  });
  w.run();
  EXPECT_EQ(statuses, (std::vector<TableStatus>(7, TableStatus::bad_row)));
  EXPECT_FALSE(row.has_value());
  EXPECT_FALSE(w.kernel.table_peek(table, Term(5)).has_value());
  EXPECT_FALSE(w.kernel.table_peek(table, atom("k")).has_value());
}

// -- access --

TEST(Tables, a_public_table_is_read_and_written_by_any_process) {
  World w;
  std::vector<TableStatus> statuses;
  std::optional<Term> owner_sees;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new(with_access(TableAccess::public_access))).value;
    Pid self = ctx.self();
    co_await ctx.spawn([&, t, self](Ctx c) -> Proc {
      statuses.push_back(co_await c.insert(t, tuple(atom("a"), 1)));
      statuses.push_back((co_await c.insert_new(t, tuple(atom("b"), 2))).status);
      statuses.push_back(co_await c.erase(t, atom("b")));
      auto r = co_await c.lookup(t, atom("a"));
      statuses.push_back(r.status);
      EXPECT_TRUE(r.value.has_value());
      co_await c.send(self, atom("done"));
    });
    co_await ctx.receive();
    owner_sees = (co_await ctx.lookup(t, atom("a"))).value;
  });
  w.run();
  EXPECT_EQ(statuses, (std::vector<TableStatus>(4, TableStatus::ok)));
  ASSERT_TRUE(owner_sees.has_value());
  EXPECT_EQ(*owner_sees, tuple(atom("a"), 1));
}

TEST(Tables, a_protected_table_is_read_by_anyone_but_written_only_by_its_owner) {
  World w;
  std::vector<TableStatus> writes;
  TableResult<std::optional<Term>> read;
  std::optional<Term> row_after;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new(with_access(TableAccess::protected_access))).value;
    EXPECT_EQ(co_await ctx.insert(t, tuple(atom("a"), 1)), TableStatus::ok);  // the owner writes
    Pid self = ctx.self();
    co_await ctx.spawn([&, t, self](Ctx c) -> Proc {
      read = co_await c.lookup(t, atom("a"));
      writes.push_back(co_await c.insert(t, tuple(atom("a"), 2)));
      writes.push_back((co_await c.insert_new(t, tuple(atom("b"), 2))).status);
      writes.push_back(co_await c.erase(t, atom("a")));
      writes.push_back(co_await c.delete_table(t));
      co_await c.send(self, atom("done"));
    });
    co_await ctx.receive();
    row_after = (co_await ctx.lookup(t, atom("a"))).value;
  });
  w.run();
  EXPECT_EQ(read.status, TableStatus::ok);
  ASSERT_TRUE(read.value.has_value());
  EXPECT_EQ(*read.value, tuple(atom("a"), 1));
  EXPECT_EQ(writes, (std::vector<TableStatus>(4, TableStatus::access_denied)));
  ASSERT_TRUE(row_after.has_value());
  EXPECT_EQ(*row_after, tuple(atom("a"), 1));  // unchanged, and the table still exists
}

TEST(Tables, a_private_table_is_read_and_written_only_by_its_owner) {
  World w;
  std::vector<TableStatus> others;
  std::optional<Term> owner_reads;
  w.spawn([&](Ctx ctx) -> Proc {
    TableId t = (co_await ctx.table_new(with_access(TableAccess::private_access))).value;
    EXPECT_EQ(co_await ctx.insert(t, tuple(atom("a"), 1)), TableStatus::ok);
    Pid self = ctx.self();
    co_await ctx.spawn([&, t, self](Ctx c) -> Proc {
      auto r = co_await c.lookup(t, atom("a"));
      others.push_back(r.status);
      EXPECT_FALSE(r.value.has_value());  // nothing leaks with the denial
      others.push_back(co_await c.insert(t, tuple(atom("b"), 2)));
      others.push_back(co_await c.erase(t, atom("a")));
      co_await c.send(self, atom("done"));
    });
    co_await ctx.receive();
    owner_reads = (co_await ctx.lookup(t, atom("a"))).value;
  });
  w.run();
  EXPECT_EQ(others, (std::vector<TableStatus>(3, TableStatus::access_denied)));
  ASSERT_TRUE(owner_reads.has_value());
  EXPECT_EQ(*owner_reads, tuple(atom("a"), 1));
}

// -- ownership --

TEST(Tables, a_table_dies_with_its_owner_and_later_operations_get_no_table) {
  World w;
  std::vector<TableStatus> statuses;
  TableId table;
  Pid user;
  w.spawn([&](Ctx ctx) -> Proc {
    table = (co_await ctx.table_new()).value;
    co_await ctx.insert(table, tuple(atom("a"), 1));
    TableId t = table;
    user = co_await ctx.spawn([&, t](Ctx c) -> Proc {
      co_await c.sleep(10);  // the owner has ended
      auto r = co_await c.lookup(t, atom("a"));
      statuses.push_back(r.status);
      EXPECT_FALSE(r.value.has_value());
      statuses.push_back(co_await c.insert(t, tuple(atom("a"), 2)));
      auto n = co_await c.insert_new(t, tuple(atom("b"), 2));
      statuses.push_back(n.status);
      EXPECT_FALSE(n.value);
      statuses.push_back(co_await c.erase(t, atom("a")));
      statuses.push_back(co_await c.delete_table(t));
      c.exit(atom("carried_on"));
    });
  });
  w.run();
  EXPECT_EQ(statuses, (std::vector<TableStatus>(5, TableStatus::no_table)));
  EXPECT_EQ(w.reason(user), "carried_on");
  EXPECT_FALSE(w.kernel.table_exists(table));
  EXPECT_FALSE(w.kernel.table_peek(table, atom("a")).has_value());
}

// -- heir (ets:new with {heir, Pid, HeirData}) --

TEST(Tables, a_table_passes_to_its_live_heir_with_its_rows_and_an_ets_transfer_message) {
  for (Delivery delivery : {Delivery::async, Delivery::instant}) {
    RandomStrategy strategy(0);
    Kernel kernel(KernelConfig{RunLimits{}, TraceLevel::full, delivery}, strategy);
    std::optional<Term> transfer, row_after;
    TableStatus insert_after = TableStatus::no_table;
    Pid owner;
    Pid heir = kernel.spawn([&](Ctx ctx) -> Proc {
      transfer = co_await ctx.receive();
      row_after = (co_await ctx.lookup(Atom("kept"), atom("k"))).value;
      insert_after = co_await ctx.insert(Atom("kept"), tuple(atom("k2"), 2));
      co_await block(ctx);
    });
    owner = kernel.spawn([&, heir](Ctx ctx) -> Proc {
      auto t = co_await ctx.table_new(TableOptions(TableAccess::protected_access, atom("kept"), heir));
      EXPECT_TRUE(t.ok());
      co_await ctx.insert(t.value, tuple(atom("k"), 1));
    });
    kernel.run();
    ASSERT_TRUE(transfer.has_value());
    EXPECT_EQ(*transfer, tuple(Atom("ETS-TRANSFER"), atom("kept"), owner, atom("undefined")));
    ASSERT_TRUE(row_after.has_value());
    EXPECT_EQ(*row_after, tuple(atom("k"), 1));
    EXPECT_EQ(insert_after, TableStatus::ok);  // protected: the heir is its owner now
    auto id = kernel.table_named(atom("kept"));
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(kernel.table_peek(*id, atom("k2")), tuple(atom("k2"), 2));
  }
}

TEST(Tables, a_table_whose_heir_is_dead_dies_with_its_owner) {
  World w;
  Pid heir = w.spawn([](Ctx) -> Proc { co_return; });
  std::optional<TableId> table;
  w.spawn([&, heir](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);  // the heir has ended
    table = (co_await ctx.table_new(TableOptions(TableAccess::public_access, atom("lost"), heir))).value;
  });
  w.run();
  ASSERT_TRUE(table.has_value());
  EXPECT_FALSE(w.kernel.table_exists(*table));
  EXPECT_FALSE(w.kernel.table_named(atom("lost")).has_value());
}

TEST(Tables, an_inherited_table_has_no_heir_and_dies_with_its_new_owner) {
  World w;
  std::optional<TableId> table;
  Pid heir = w.spawn([&](Ctx ctx) -> Proc {
    auto m = co_await ctx.receive();
    EXPECT_TRUE(m->is_tagged(Atom("ETS-TRANSFER"), 4));
    EXPECT_TRUE(w.kernel.table_exists(*table));
  });
  w.spawn([&, heir](Ctx ctx) -> Proc {
    table = (co_await ctx.table_new(TableOptions(TableAccess::public_access, Term(), heir))).value;
  });
  w.run();
  ASSERT_TRUE(table.has_value());
  EXPECT_FALSE(w.kernel.table_exists(*table));
  EXPECT_EQ(w.reason(heir), "normal");
}

TEST(Tables, every_table_of_a_killed_owner_dies_and_other_owners_tables_survive) {
  World w;
  TableId first;
  TableId second;
  TableId other;
  Pid owner = w.spawn([&](Ctx ctx) -> Proc {
    first = (co_await ctx.table_new()).value;
    second = (co_await ctx.table_new(named("second"))).value;
    co_await block(ctx);
  });
  w.spawn([&](Ctx ctx) -> Proc {
    other = (co_await ctx.table_new()).value;
    co_await ctx.insert(other, tuple(atom("a"), 1));
    co_await block(ctx);
  });
  w.run();
  EXPECT_TRUE(w.kernel.table_exists(first));
  EXPECT_TRUE(w.kernel.table_exists(second));
  w.kernel.exit_external(owner, atom("kill"));
  w.run();
  EXPECT_EQ(w.reason(owner), "killed");
  EXPECT_FALSE(w.kernel.table_exists(first));
  EXPECT_FALSE(w.kernel.table_exists(second));
  EXPECT_TRUE(w.kernel.table_exists(other));
  EXPECT_EQ(w.kernel.table_peek(other, atom("a")), tuple(atom("a"), 1));
}

TEST(Tables, an_id_that_never_was_a_table_gets_no_table) {
  World w;
  std::vector<TableStatus> statuses;
  w.spawn([&](Ctx ctx) -> Proc {
    const TableId bogus{999};
    statuses.push_back((co_await ctx.lookup(bogus, atom("a"))).status);
    statuses.push_back(co_await ctx.insert(bogus, tuple(atom("a"), 1)));
    statuses.push_back(co_await ctx.delete_table(TableId{}));
  });
  w.run();
  EXPECT_EQ(statuses, (std::vector<TableStatus>(3, TableStatus::no_table)));
}

TEST(Tables, unnamed_tables_never_clash_and_get_distinct_ids) {
  World w;
  std::vector<TableResult<TableId>> made;
  w.spawn([&](Ctx ctx) -> Proc {
    for (int i = 0; i < 3; ++i) made.push_back(co_await ctx.table_new());
  });
  w.run();
  ASSERT_EQ(made.size(), 3u);
  for (const auto& m : made) {
    EXPECT_TRUE(m.ok());
    EXPECT_TRUE(static_cast<bool>(m.value));
  }
  EXPECT_NE(made[0].value, made[1].value);
  EXPECT_NE(made[1].value, made[2].value);
  EXPECT_NE(made[0].value, made[2].value);
}

// -- names --

TEST(Tables, a_named_table_is_found_by_its_name_from_any_process) {
  World w;
  TableId made;
  TableResult<TableId> found;
  w.spawn([&](Ctx ctx) -> Proc {
    made = (co_await ctx.table_new(named("config"))).value;
    co_await ctx.insert(made, tuple(atom("a"), 1));
    co_await block(ctx);
  });
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);
    found = co_await ctx.table_named(Atom("config"));
  });
  w.run();
  EXPECT_EQ(found.status, TableStatus::ok);
  EXPECT_EQ(found.value, made);
}

TEST(Tables, table_named_of_an_unknown_name_is_no_table) {
  World w;
  TableResult<TableId> found;
  w.spawn([&](Ctx ctx) -> Proc { found = co_await ctx.table_named(Atom("nothing_here")); });
  w.run();
  EXPECT_EQ(found.status, TableStatus::no_table);
  EXPECT_FALSE(static_cast<bool>(found.value));
}

TEST(Tables, a_second_table_with_a_taken_name_is_name_taken) {
  World w;
  TableResult<TableId> mine_again;
  TableResult<TableId> theirs;
  TableId first;
  w.spawn([&](Ctx ctx) -> Proc {
    first = (co_await ctx.table_new(named("cache"))).value;
    mine_again = co_await ctx.table_new(named("cache", TableAccess::private_access));
    co_await ctx.spawn([&](Ctx c) -> Proc { theirs = co_await c.table_new(named("cache")); });
    co_await block(ctx);
  });
  w.run();
  EXPECT_EQ(mine_again.status, TableStatus::name_taken);
  EXPECT_EQ(theirs.status, TableStatus::name_taken);
  EXPECT_FALSE(static_cast<bool>(theirs.value));
  EXPECT_TRUE(w.kernel.table_exists(first));
}

TEST(Tables, the_table_name_is_freed_when_the_owner_dies) {
  World w;
  TableResult<TableId> during;
  TableResult<TableId> after;
  TableResult<TableId> remade;
  TableId first;
  w.spawn([&](Ctx ctx) -> Proc {
    Pid self = ctx.self();
    Ref ref = (co_await ctx.spawn_monitor([&, self](Ctx c) -> Proc {
      first = (co_await c.table_new(named("cache"))).value;
      co_await c.send(self, tuple(atom("made"), c.self()));
      co_await c.receive();
    })).second;
    Pid child = (*co_await ctx.receive())[1].pid();
    during = co_await ctx.table_new(named("cache"));
    co_await ctx.exit(child, atom("kill"));
    co_await ctx.receive([ref](const Term& m) { return m.is_tuple() && m[1] == Term(ref); });
    after = co_await ctx.table_named(Atom("cache"));
    remade = co_await ctx.table_new(named("cache"));
  });
  w.run();
  EXPECT_EQ(during.status, TableStatus::name_taken);
  EXPECT_EQ(after.status, TableStatus::no_table);
  EXPECT_EQ(remade.status, TableStatus::ok);
  EXPECT_NE(remade.value, first);  // table ids are never reused
}

TEST(Tables, delete_table_destroys_the_table_and_frees_its_name) {
  World w;
  TableStatus deleted = TableStatus::no_table;
  TableStatus again = TableStatus::ok;
  TableStatus lookup_after = TableStatus::ok;
  TableResult<TableId> by_name;
  TableResult<TableId> remade;
  TableId table;
  w.spawn([&](Ctx ctx) -> Proc {
    table = (co_await ctx.table_new(named("scratch"))).value;
    co_await ctx.insert(table, tuple(atom("a"), 1));
    deleted = co_await ctx.delete_table(table);
    again = co_await ctx.delete_table(table);
    lookup_after = (co_await ctx.lookup(table, atom("a"))).status;
    by_name = co_await ctx.table_named(Atom("scratch"));
    remade = co_await ctx.table_new(named("scratch"));
    co_await block(ctx);
  });
  w.run();
  EXPECT_EQ(deleted, TableStatus::ok);
  EXPECT_EQ(again, TableStatus::no_table);
  EXPECT_EQ(lookup_after, TableStatus::no_table);
  EXPECT_EQ(by_name.status, TableStatus::no_table);
  EXPECT_EQ(remade.status, TableStatus::ok);
  EXPECT_FALSE(w.kernel.table_exists(table));
  EXPECT_TRUE(w.kernel.table_exists(remade.value));
}

TEST(Tables, a_public_table_may_be_deleted_by_a_non_owner_and_its_owner_then_dies_cleanly) {
  World w;
  TableStatus deleted = TableStatus::no_table;
  TableId table;
  Pid owner = w.spawn([&](Ctx ctx) -> Proc {
    table = (co_await ctx.table_new(named("shared"))).value;
    co_await ctx.receive();
    ctx.exit(atom("bye"));
  });
  w.spawn([&, owner](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);
    deleted = co_await ctx.delete_table(table);
    co_await ctx.send(owner, atom("go"));
  });
  w.run();
  EXPECT_EQ(deleted, TableStatus::ok);
  EXPECT_EQ(w.reason(owner), "bye");
  EXPECT_FALSE(w.kernel.table_exists(table));
}

// -- observation from outside --

TEST(Tables, table_peek_reads_rows_from_outside_the_simulation) {
  World w;
  TableId table;
  Pid owner = w.spawn([&](Ctx ctx) -> Proc {
    table = (co_await ctx.table_new(with_access(TableAccess::private_access))).value;
    co_await ctx.insert(table, tuple(atom("a"), 1));
    co_await ctx.insert(table, tuple(atom("a"), 2));
    co_await block(ctx);
  });
  w.run();
  EXPECT_TRUE(w.kernel.table_exists(table));
  EXPECT_EQ(w.kernel.table_peek(table, atom("a")), tuple(atom("a"), 2));  // even a private one
  EXPECT_EQ(w.kernel.table_peek(table, atom("b")), std::nullopt);
  EXPECT_EQ(w.kernel.table_peek(TableId{12345}, atom("a")), std::nullopt);
  w.kernel.exit_external(owner, atom("kill"));
  w.run();
  EXPECT_FALSE(w.kernel.table_exists(table));
  EXPECT_EQ(w.kernel.table_peek(table, atom("a")), std::nullopt);
}

TEST(Tables, table_status_names_are_readable) {
  EXPECT_EQ(table_status_name(TableStatus::ok), "ok");
  EXPECT_EQ(table_status_name(TableStatus::no_table), "no_table");
  EXPECT_EQ(table_status_name(TableStatus::access_denied), "access_denied");
  EXPECT_EQ(table_status_name(TableStatus::bad_row), "bad_row");
  EXPECT_EQ(table_status_name(TableStatus::name_taken), "name_taken");
}

}  // namespace
}  // namespace otpsim::sim
