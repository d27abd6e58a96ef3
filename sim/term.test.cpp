// Term: construction, equality, Erlang term order, printing and reference
// counting (leaks and double frees show up under ASan).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/term.hpp"

namespace otpsim::sim {

// Readable terms in assertion failures (found by gtest through ADL).

namespace {

// -- construction --

TEST(Term, a_term_is_sixteen_bytes) { static_assert(sizeof(Term) == 16); }

TEST(Term, the_default_term_is_the_integer_zero) {
  Term t;
  EXPECT_TRUE(t.is_integer());
  EXPECT_EQ(t.integer(), 0);
  EXPECT_EQ(t, Term(0));
}

TEST(Term, inline_kinds_keep_their_value_and_kind) {
  EXPECT_EQ(Term(-42).integer(), -42);
  EXPECT_EQ(Term(std::int64_t{1} << 62).integer(), std::int64_t{1} << 62);
  EXPECT_EQ(Term(std::uint64_t{7}), Term(7));
  EXPECT_TRUE(atom("ok").is_atom());
  EXPECT_EQ(atom("ok").atom(), Atom("ok"));
  EXPECT_EQ(Term(Pid{3}).kind(), Term::Kind::pid);
  EXPECT_EQ(Term(Pid{3}).pid(), Pid{3});
  EXPECT_EQ(Term(Ref{9}).kind(), Term::Kind::ref);
  EXPECT_EQ(Term(Ref{9}).ref(), Ref{9});
}

TEST(Term, compound_kinds_hold_their_elements_and_text) {
  Term s = Term::string("hello");
  EXPECT_TRUE(s.is_string());
  EXPECT_EQ(s.string_value(), "hello");

  Term t = tuple(atom("a"), 1, Term::string("x"));
  EXPECT_TRUE(t.is_tuple());
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], atom("a"));
  EXPECT_EQ(t[1], Term(1));
  EXPECT_EQ(t[2].string_value(), "x");

  Term l = list(1, 2);
  EXPECT_TRUE(l.is_list());
  EXPECT_EQ(l.elements().size(), 2u);
}

TEST(Term, the_variadic_and_braced_and_vector_builders_agree) {
  EXPECT_EQ(tuple(1, atom("b")), Term::tuple({Term(1), atom("b")}));
  EXPECT_EQ(tuple(1, atom("b")), Term::tuple(std::vector<Term>{Term(1), atom("b")}));
  EXPECT_EQ(list(1, atom("b")), Term::list({Term(1), atom("b")}));
  EXPECT_EQ(tuple(), Term::tuple(std::vector<Term>{}));
  EXPECT_EQ(list(), Term::list(std::vector<Term>{}));
}

TEST(Term, scalars_have_no_elements) {
  EXPECT_TRUE(Term(5).elements().empty());
  EXPECT_TRUE(atom("a").elements().empty());
  EXPECT_TRUE(Term::string("abc").elements().empty());
  EXPECT_EQ(Term(5).size(), 0u);
}

TEST(Term, is_atom_and_is_tagged_check_kind_text_and_arity) {
  Atom exit_tag("EXIT");
  Term m = tuple(atom("EXIT"), Pid{3}, atom("killed"));
  EXPECT_TRUE(m.is_tagged(exit_tag, 3));
  EXPECT_FALSE(m.is_tagged(exit_tag, 2));
  EXPECT_FALSE(m.is_tagged(Atom("DOWN"), 3));
  EXPECT_FALSE(list(atom("EXIT"), 1, 2).is_tagged(exit_tag, 3));  // a list is not a tuple
  EXPECT_FALSE(tuple().is_tagged(exit_tag, 0));
  EXPECT_FALSE(atom("EXIT").is_tagged(exit_tag, 1));
  EXPECT_TRUE(atom("ok").is_atom("ok"));
  EXPECT_FALSE(atom("ok").is_atom("okay"));
  EXPECT_FALSE(Term::string("ok").is_atom("ok"));
  EXPECT_TRUE(atom("ok").is(atoms::ok()));
  EXPECT_FALSE(Term(0).is(atoms::ok()));
}

TEST(Term, accessing_a_term_as_the_wrong_kind_is_a_programming_error) {
  EXPECT_DEATH((void)atom("a").integer(), "term is not an integer");
  EXPECT_DEATH((void)Term(1).atom(), "term is not an atom");
  EXPECT_DEATH((void)tuple(1)[1], "index out of range");
}

// -- equality --

TEST(Term, atoms_with_equal_text_are_one_interned_atom) {
  Atom a("same_text");
  Atom b(std::string("same_") + "text");
  EXPECT_EQ(a, b);
  EXPECT_EQ(atom("same_text"), Term(b));
  EXPECT_NE(Atom("same_text"), Atom("Same_text"));
}

TEST(Term, equality_is_by_value_not_by_identity) {
  EXPECT_EQ(Term::string("abc"), Term::string("abc"));
  EXPECT_EQ(tuple(1, list(atom("x"), Term::string("y"))), tuple(1, list(atom("x"), Term::string("y"))));
  EXPECT_NE(tuple(1, 2), tuple(1, 3));
  EXPECT_NE(list(1, 2), list(1, 2, 3));
  EXPECT_NE(Term::string("abc"), Term::string("abd"));
}

TEST(Term, terms_of_different_kinds_are_never_equal) {
  const std::vector<Term> ones{Term(1), atom("1"), Term(Ref{1}), Term(Pid{1}), tuple(1), list(1), Term::string("1")};
  for (std::size_t i = 0; i < ones.size(); ++i) {
    for (std::size_t j = 0; j < ones.size(); ++j) {
      if (i == j) {
        EXPECT_EQ(ones[i], ones[j]);
      } else {
        EXPECT_NE(ones[i], ones[j]) << ones[i].to_string() << " vs " << ones[j].to_string();
      }
    }
  }
  EXPECT_NE(tuple(), list());  // {} vs []
}

// -- order --

TEST(Term, kinds_are_ordered_number_atom_ref_pid_tuple_list_string) {
  // Each is the "largest" of its kind against the next kind's "smallest".
  const std::vector<Term> ascending{
      Term(std::int64_t{1} << 62),  // number
      atom("a"),                    // atom
      Term(Ref{1}),                 // reference
      Term(Pid{1}),                 // pid
      tuple(),                      // tuple
      list(),                       // list
      Term::string(""),             // string (Erlang's bitstring, last)
  };
  for (std::size_t i = 0; i + 1 < ascending.size(); ++i) {
    EXPECT_LT(ascending[i], ascending[i + 1]) << ascending[i].to_string() << " < " << ascending[i + 1].to_string();
  }
  EXPECT_LT(atom("zzzz"), Term(Ref{1}));
  EXPECT_LT(Term(Ref{1000}), Term(Pid{1}));
  EXPECT_LT(tuple(9, 9, 9, 9), list(0));
  EXPECT_LT(list(Term::string("zz")), Term::string("a"));
}

TEST(Term, integers_order_numerically_including_negatives) {
  EXPECT_LT(Term(-5), Term(-1));
  EXPECT_LT(Term(-1), Term(0));
  EXPECT_LT(Term(2), Term(10));
  EXPECT_EQ(Term(7) <=> Term(7), std::strong_ordering::equal);
}

TEST(Term, atoms_order_by_text_never_by_interning_order) {
  // Interned in the opposite order of their text.
  Atom late("zz_interned_first_in_this_test");
  Atom early("aa_interned_second_in_this_test");
  EXPECT_LT(early, late);
  EXPECT_LT(Term(early), Term(late));
  EXPECT_LT(atom("EXIT"), atom("a"));  // by bytes: uppercase first
  EXPECT_LT(atom("ab"), atom("abc"));
}

TEST(Term, tuples_order_by_size_first_then_element_by_element) {
  EXPECT_LT(tuple(atom("z")), tuple(1, 1));          // smaller size wins whatever the elements
  EXPECT_LT(tuple(9, 9), tuple(0, 0, 0));
  EXPECT_LT(tuple(1, 2), tuple(1, 3));
  EXPECT_LT(tuple(1, atom("a")), tuple(1, atom("b")));
  EXPECT_LT(tuple(), tuple(0));
}

TEST(Term, lists_order_element_by_element_and_a_prefix_first) {
  EXPECT_LT(list(1, 2, 3), list(1, 3));  // no size rule for lists
  EXPECT_LT(list(), list(0));
  EXPECT_LT(list(1), list(1, 0));
  EXPECT_LT(list(atom("a"), 5), list(atom("b")));
}

TEST(Term, strings_pids_and_refs_order_by_text_or_id) {
  EXPECT_LT(Term::string("abc"), Term::string("abd"));
  EXPECT_LT(Term::string("ab"), Term::string("abc"));
  EXPECT_LT(Term(Pid{2}), Term(Pid{10}));
  EXPECT_LT(Term(Ref{2}), Term(Ref{10}));
}

TEST(Term, order_is_a_total_order_consistent_with_equality) {
  std::vector<Term> terms{Term::string("s"), list(2),        tuple(1, 2), Term(Pid{4}), atom("b"),  Term(3),
                          Term(Ref{5}),      tuple(atom("a")), list(1, 5),  atom("a"),    Term(-1), tuple(1, 1)};
  std::sort(terms.begin(), terms.end());
  const std::vector<Term> expected{Term(-1),     Term(3),          atom("a"),   atom("b"),   Term(Ref{5}),
                                   Term(Pid{4}), tuple(atom("a")), tuple(1, 1), tuple(1, 2), list(1, 5),
                                   list(2),      Term::string("s")};
  EXPECT_EQ(terms, expected);
  for (std::size_t i = 0; i < terms.size(); ++i) {
    for (std::size_t j = 0; j < terms.size(); ++j) {
      EXPECT_EQ((terms[i] <=> terms[j]) == 0, terms[i] == terms[j]);
      EXPECT_EQ(terms[i] < terms[j], terms[j] > terms[i]);
    }
  }
}

TEST(Term, terms_work_as_map_keys) {
  std::map<Term, int> m;
  m[tuple(atom("k"), 1)] = 1;
  m[Term::string("k")] = 2;
  m[atom("k")] = 3;
  m[tuple(atom("k"), 1)] = 4;  // the same key again
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.at(tuple(atom("k"), 1)), 4);
  EXPECT_EQ(m.begin()->first, atom("k"));  // atoms sort before tuples and strings
}

// -- printing --

TEST(Term, scalars_print_as_erlang_does) {
  EXPECT_EQ(Term(42).to_string(), "42");
  EXPECT_EQ(Term(-7).to_string(), "-7");
  EXPECT_EQ(Term(Pid{3}).to_string(), "<0.3.0>");
  EXPECT_EQ(Term(Ref{7}).to_string(), "#Ref<7>");
}

TEST(Term, plain_atoms_print_bare_and_others_quoted) {
  EXPECT_EQ(atom("ok").to_string(), "ok");
  EXPECT_EQ(atom("snake_case_2@host").to_string(), "snake_case_2@host");
  EXPECT_EQ(atom("EXIT").to_string(), "'EXIT'");  // starts with a capital
  EXPECT_EQ(atom("Elixir.Foo").to_string(), "'Elixir.Foo'");
  EXPECT_EQ(atom("hello world").to_string(), "'hello world'");
  EXPECT_EQ(atom("_x").to_string(), "'_x'");
  EXPECT_EQ(atom("1abc").to_string(), "'1abc'");
  EXPECT_EQ(atom("").to_string(), "''");
}

TEST(Term, an_atom_containing_a_quote_or_backslash_is_escaped_inside_its_quotes) {
  // io:format("~p", ['it''s']) prints 'it\'s'; '\\' prints '\\'.
  EXPECT_EQ(atom("it's").to_string(), "'it\\'s'");
  EXPECT_EQ(atom("back\\slash").to_string(), "'back\\\\slash'");
}

TEST(Term, strings_print_quoted_with_quotes_and_backslashes_escaped) {
  EXPECT_EQ(Term::string("text").to_string(), "\"text\"");
  EXPECT_EQ(Term::string("").to_string(), "\"\"");
  EXPECT_EQ(Term::string("say \"hi\"").to_string(), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(Term::string("a\\b").to_string(), "\"a\\\\b\"");
}

TEST(Term, tuples_and_lists_print_with_commas_and_no_spaces) {
  EXPECT_EQ(tuple(atom("EXIT"), Pid{3}, atom("killed")).to_string(), "{'EXIT',<0.3.0>,killed}");
  EXPECT_EQ(tuple(atom("DOWN"), Ref{12}, atom("process"), Pid{4}, atom("noproc")).to_string(),
            "{'DOWN',#Ref<12>,process,<0.4.0>,noproc}");
  EXPECT_EQ(list(1, list(2, tuple()), Term::string("x")).to_string(), "[1,[2,{}],\"x\"]");
  EXPECT_EQ(tuple().to_string(), "{}");
  EXPECT_EQ(list().to_string(), "[]");
  EXPECT_EQ(tuple(atom("exception"), Term::string("boom")).to_string(), "{exception,\"boom\"}");
}

TEST(Term, append_to_appends_the_same_text) {
  std::string out = "reason: ";
  tuple(atom("shutdown"), atom("bye")).append_to(out);
  EXPECT_EQ(out, "reason: {shutdown,bye}");
}

TEST(Term, kernel_atoms_have_their_erlang_names) {
  EXPECT_EQ(Term(atoms::exit_tag()).to_string(), "'EXIT'");
  EXPECT_EQ(Term(atoms::down_tag()).to_string(), "'DOWN'");
  EXPECT_EQ(atoms::normal().text(), "normal");
  EXPECT_EQ(atoms::kill().text(), "kill");
  EXPECT_EQ(atoms::killed().text(), "killed");
  EXPECT_EQ(atoms::noproc().text(), "noproc");
  EXPECT_EQ(atoms::process().text(), "process");
  EXPECT_EQ(atoms::undefined().text(), "undefined");
  EXPECT_EQ(atoms::normal(), Atom("normal"));
}

// -- copies, moves and reference counts --

TEST(Term, a_copy_outlives_the_original) {
  Term copy;
  {
    Term original = tuple(Term::string(std::string(100, 'x')), list(1, 2, 3));
    copy = original;
    EXPECT_EQ(copy, original);
  }
  EXPECT_EQ(copy[0].string_value(), std::string(100, 'x'));
  EXPECT_EQ(copy[1], list(1, 2, 3));
}

TEST(Term, an_element_copied_out_outlives_its_container) {
  Term inner;
  {
    Term outer = tuple(atom("wrap"), tuple(Term::string("inner"), 1));
    inner = outer[1];
  }
  EXPECT_EQ(inner.to_string(), "{\"inner\",1}");
}

TEST(Term, a_move_transfers_the_value_and_leaves_a_usable_term) {
  Term a = tuple(Term::string("payload"), 1);
  Term b = std::move(a);
  EXPECT_EQ(b, tuple(Term::string("payload"), 1));
  a = Term::string("reused");  // a moved-from term can be assigned again
  EXPECT_EQ(a.string_value(), "reused");
  Term c;
  c = std::move(b);
  EXPECT_EQ(c, tuple(Term::string("payload"), 1));
  b = c;
  EXPECT_EQ(b, c);
}

TEST(Term, self_assignment_keeps_the_value) {
  Term t = tuple(Term::string("self"), list(1));
  Term& alias = t;
  t = alias;
  EXPECT_EQ(t, tuple(Term::string("self"), list(1)));
  t = std::move(alias);
  EXPECT_EQ(t, tuple(Term::string("self"), list(1)));
}

TEST(Term, assigning_one_of_its_own_elements_to_a_term_is_safe) {
  // The common unwrap `msg = msg[1];`: the element lives inside the block
  // that the assignment releases.
  Term msg = tuple(atom("wrapped"), tuple(Term::string("inner"), 7));
  msg = msg[1];
  EXPECT_EQ(msg, tuple(Term::string("inner"), 7));
  Term only = tuple(list(1, 2));  // the outer block holds the only other reference
  only = only[0];
  EXPECT_EQ(only, list(1, 2));
}

TEST(Term, replacing_a_term_releases_the_old_value) {
  Term t = Term::string("first");
  for (int i = 0; i < 1000; ++i) t = tuple(i, Term::string(std::to_string(i)), list(t));
  EXPECT_EQ(t[0], Term(999));
  t = Term(1);  // frees the thousand-deep chain (ASan reports any leak)
  EXPECT_EQ(t, Term(1));
}

TEST(Term, many_copies_and_moves_of_shared_blocks_balance_their_counts) {
  const Term shared = list(Term::string("shared"), tuple(atom("a"), 1));
  std::vector<Term> copies;
  for (int i = 0; i < 100; ++i) copies.push_back(shared);
  std::vector<Term> moved;
  for (Term& c : copies) moved.push_back(std::move(c));
  copies.clear();
  std::vector<Term> wrapped;
  for (const Term& m : moved) wrapped.push_back(tuple(m, m));
  moved.clear();
  for (const Term& w : wrapped) EXPECT_EQ(w[1], shared);
  wrapped.clear();
  EXPECT_EQ(shared[0].string_value(), "shared");  // still alive: the counts never hit zero early
}

}  // namespace
}  // namespace otpsim::sim
