// Term: the dynamically typed value carried by messages, exit reasons and
// table rows, modelled on Erlang terms (integer, atom, pid, reference,
// string, tuple, list).
//
// Contract:
// - A Term is 16 bytes. Integers, atoms, pids and refs are inline; strings,
//   tuples and lists are immutable, reference-counted heap blocks.
// - The reference count is not atomic: a compound Term belongs to one
//   thread (one simulation run). Atoms are interned process-wide, immortal,
//   and safe to share between threads.
// - Ordering is Erlang's term order (number < atom < reference < pid <
//   tuple < list < string), with atoms compared by text, so it never depends
//   on addresses or interning order.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/ids.hpp"

namespace otpsim::sim {

namespace detail {
struct HeapBlock;
struct AtomData;
}  // namespace detail

class Term;

/// An interned atom. Equal text gives the same Atom; comparing two Atoms
/// for equality is a pointer comparison.
class Atom {
 public:
  explicit Atom(std::string_view text);
  std::string_view text() const;
  friend bool operator==(Atom a, Atom b) { return a.data_ == b.data_; }
  friend std::strong_ordering operator<=>(Atom a, Atom b);

 private:
  friend class Term;
  friend std::strong_ordering operator<=>(const Term& a, const Term& b);
  explicit Atom(const detail::AtomData* data) : data_(data) {}
  const detail::AtomData* data_;
};

class Term {
 public:
  /// The kinds; heap kinds last, so telling them apart is one compare. Term
  /// order (operator<=>) ranks them as Erlang does: number < atom < ref <
  /// fun (opaque, a C++ value carried by a message) < pid < tuple < list <
  /// string.
  enum class Kind : std::uint8_t { integer, atom, ref, pid, opaque, tuple, list, string };

  Term() : Term(std::int64_t{0}) {}  // the integer 0
  Term(std::int64_t value) : kind_(Kind::integer) { u_.integer = value; }
  /// Erlang booleans are the atoms true/false: say which you mean.
  Term(bool) = delete;
  /// Any integer type (not bool: Erlang booleans are the atoms true/false).
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, std::int64_t>)
  Term(I value) : Term(static_cast<std::int64_t>(value)) {}
  Term(Atom atom) : kind_(Kind::atom) { u_.atom = atom.data_; }
  Term(Pid pid) : kind_(Kind::pid) { u_.id = pid.id; }
  Term(Ref ref) : kind_(Kind::ref) { u_.id = ref.id; }

  static Term string(std::string_view text);
  /// A C++ value in a message (a closure, a child spec). Equal only to
  /// itself; ordered by creation within the thread (never by address);
  /// prints as #Opaque<type>. Read it back with opaque_as<T>().
  template <typename T>
  static Term opaque(std::shared_ptr<T> value, std::string_view type_name) {
    return make_opaque(std::static_pointer_cast<void>(std::move(value)), &opaque_tag<T>, type_name);
  }
  /// The value if this is an opaque of type T, else nullptr.
  template <typename T>
  std::shared_ptr<T> opaque_as() const {
    if (kind_ != Kind::opaque || opaque_type() != &opaque_tag<T>) return nullptr;
    return std::static_pointer_cast<T>(opaque_value());
  }
  static Term tuple(std::initializer_list<Term> elements);
  static Term tuple(std::vector<Term> elements);
  static Term list(std::initializer_list<Term> elements);
  static Term list(std::vector<Term> elements);
  /// A tuple or list that moves `elements` (left as integer 0) into one
  /// heap block: the variadic tuple()/list() below build no vector.
  static Term tuple_taking(std::span<Term> elements);
  static Term list_taking(std::span<Term> elements);

  // Copies, moves and destruction are inline: most terms are scalars, and
  // these run several times per message on the kernel's hot path.
  Term(const Term& other) : kind_(other.kind_), u_(other.u_) {
    if (is_heap()) retain_heap();
  }
  Term(Term&& other) noexcept : kind_(other.kind_), u_(other.u_) {
    other.kind_ = Kind::integer;
    other.u_.integer = 0;
  }
  Term& operator=(const Term& other) {
    // `other` may live inside the block this term releases (t = t[0]):
    // take its value before releasing anything.
    Term copy(other);
    return *this = std::move(copy);
  }
  Term& operator=(Term&& other) noexcept {
    if (this != &other) {
      const Kind kind = other.kind_;
      const auto u = other.u_;
      other.kind_ = Kind::integer;
      other.u_.integer = 0;
      if (is_heap()) release_heap();
      kind_ = kind;
      u_ = u;
    }
    return *this;
  }
  ~Term() {
    if (is_heap()) release_heap();
  }

  Kind kind() const { return kind_; }
  bool is_integer() const { return kind_ == Kind::integer; }
  bool is_atom() const { return kind_ == Kind::atom; }
  bool is_pid() const { return kind_ == Kind::pid; }
  bool is_ref() const { return kind_ == Kind::ref; }
  bool is_tuple() const { return kind_ == Kind::tuple; }
  bool is_list() const { return kind_ == Kind::list; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_opaque() const { return kind_ == Kind::opaque; }

  /// True if this is the atom with the given text.
  bool is_atom(std::string_view text) const;
  bool is(Atom atom) const { return kind_ == Kind::atom && u_.atom == atom.data_; }

  // Accessors assert the kind (a wrong kind is a programming error).
  std::int64_t integer() const;
  Atom atom() const;
  Pid pid() const;
  Ref ref() const;
  std::string_view string_value() const;
  /// Elements of a tuple or list.
  std::span<const Term> elements() const;
  /// An equal term that shares no heap block with this one: what a term
  /// made in one thread must become before another thread may copy it
  /// (reference counts are not atomic). Opaque values stay shared.
  Term deep_copy() const;
  std::size_t size() const { return elements().size(); }
  const Term& operator[](std::size_t index) const;

  /// True if this is a tuple of `arity` elements whose first is `tag`.
  bool is_tagged(Atom tag, std::size_t arity) const;

  /// Erlang-like text: {'EXIT',<0.3.0>,killed}, "text", [1,2], #Ref<7>.
  std::string to_string() const;
  void append_to(std::string& out) const;

  friend bool operator==(const Term& a, const Term& b);
  friend std::strong_ordering operator<=>(const Term& a, const Term& b);

 private:
  template <typename T>
  static inline const char opaque_tag = 0;
  static Term make_opaque(std::shared_ptr<void> value, const void* type, std::string_view type_name);
  static Term make_sequence(Kind kind, std::span<Term> elements);
  const void* opaque_type() const;
  std::shared_ptr<void> opaque_value() const;
  bool is_heap() const { return kind_ >= Kind::opaque; }
  void retain_heap() const;
  void release_heap();

  Kind kind_;
  union {
    std::int64_t integer;
    const detail::AtomData* atom;
    std::uint64_t id;
    detail::HeapBlock* heap;
  } u_;
};

/// Printing (also how GoogleTest shows a Term in a failure).
std::ostream& operator<<(std::ostream& out, const Term& term);
std::ostream& operator<<(std::ostream& out, Pid pid);
std::ostream& operator<<(std::ostream& out, Ref ref);

/// Shorthand constructors used throughout the model.
inline Term atom(std::string_view text) { return Term(Atom(text)); }
/// Variadic, not a braced list: g++ 12 rejects a braced initializer list in
/// a co_await expression ("array used as initializer"), so inside process
/// bodies write `tuple(a, b)`, not `Term::tuple({a, b})`.
/// The elements go through a stack array (one spare slot, so tuple() has
/// no zero-length array), not a vector: the term is one allocation.
template <typename... Ts>
Term tuple(Ts&&... elements) {
  Term v[sizeof...(Ts) + 1] = {Term(std::forward<Ts>(elements))...};
  return Term::tuple_taking(std::span<Term>(v, sizeof...(Ts)));
}
template <typename... Ts>
Term list(Ts&&... elements) {
  Term v[sizeof...(Ts) + 1] = {Term(std::forward<Ts>(elements))...};
  return Term::list_taking(std::span<Term>(v, sizeof...(Ts)));
}

/// Atoms the kernel itself produces; interned once.
namespace atoms {
Atom normal();
Atom kill();
Atom killed();
Atom noproc();
Atom exit_tag();   // 'EXIT'
Atom down_tag();   // 'DOWN'
Atom process();
Atom timeout();
Atom badarg();
Atom exception();
Atom ok();
Atom error();
Atom shutdown();
Atom undefined();
Atom ignore();
Atom infinity();
}  // namespace atoms

}  // namespace otpsim::sim
