#include "sim/term.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <ostream>

#include "sim/assert.hpp"
#include "sim/block_pool.hpp"

namespace otpsim::sim {

namespace detail {

struct AtomData {
  std::string text;
  bool needs_quotes;
};

// The heap kinds' blocks, immutable after construction. Each is one
// allocation: a tuple's or list's elements and a string's characters sit
// right after the header (messages build several tuples per step).
struct HeapBlock {
  std::uint32_t refcount = 1;
  std::uint32_t size = 0;  // elements of a tuple or list; bytes of a string
};

struct SequenceBlock : HeapBlock {
  Term* elements() { return reinterpret_cast<Term*>(static_cast<HeapBlock*>(this) + 1); }
};
static_assert(sizeof(SequenceBlock) == sizeof(HeapBlock) && sizeof(HeapBlock) % alignof(Term) == 0);

struct StringBlock : HeapBlock {
  char* chars() { return reinterpret_cast<char*>(static_cast<HeapBlock*>(this) + 1); }
};
static_assert(sizeof(StringBlock) == sizeof(HeapBlock));

std::size_t sequence_bytes(std::size_t size) { return sizeof(SequenceBlock) + size * sizeof(Term); }
std::size_t string_bytes(std::size_t size) { return sizeof(StringBlock) + size; }

struct OpaqueBlock : HeapBlock {
  std::string type_name;
  std::shared_ptr<void> value;
  const void* type = nullptr;
  std::uint64_t seq = 0;  // creation order within the thread
};

namespace {

bool atom_needs_quotes(std::string_view text) {
  if (text.empty() || !(text[0] >= 'a' && text[0] <= 'z')) return true;
  for (char c : text) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '@';
    if (!plain) return true;
  }
  return false;
}

// Process-wide intern table. std::map keeps node addresses stable; the
// address is only ever used for equality, never for ordering.
struct AtomTable {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<AtomData>, std::less<>> atoms;

  const AtomData* intern(std::string_view text) {
    std::lock_guard lock(mutex);
    auto it = atoms.find(text);
    if (it != atoms.end()) return it->second.get();
    auto data = std::make_unique<AtomData>(AtomData{std::string(text), atom_needs_quotes(text)});
    const AtomData* raw = data.get();
    atoms.emplace(std::string(text), std::move(data));
    return raw;
  }
};

AtomTable& atom_table() {
  static AtomTable* table = new AtomTable();  // immortal: atoms outlive statics
  return *table;
}

}  // namespace
}  // namespace detail

Atom::Atom(std::string_view text) : data_(detail::atom_table().intern(text)) {}

std::string_view Atom::text() const { return data_->text; }

std::strong_ordering operator<=>(Atom a, Atom b) {
  if (a.data_ == b.data_) return std::strong_ordering::equal;
  return a.data_->text.compare(b.data_->text) <=> 0;
}

namespace {
detail::SequenceBlock* sequence_block(detail::HeapBlock* heap) { return static_cast<detail::SequenceBlock*>(heap); }
detail::StringBlock* string_block(detail::HeapBlock* heap) { return static_cast<detail::StringBlock*>(heap); }
detail::OpaqueBlock* opaque_block(detail::HeapBlock* heap) { return static_cast<detail::OpaqueBlock*>(heap); }
}  // namespace

Term Term::string(std::string_view text) {
  OTPSIM_ASSERT(text.size() <= UINT32_MAX, "string term too long");
  void* raw = detail::BlockPool::allocate(detail::string_bytes(text.size()));
  auto* block = new (raw) detail::StringBlock();
  block->size = static_cast<std::uint32_t>(text.size());
  if (!text.empty()) std::memcpy(block->chars(), text.data(), text.size());
  Term t;
  t.kind_ = Kind::string;
  t.u_.heap = block;
  return t;
}

Term Term::make_opaque(std::shared_ptr<void> value, const void* type, std::string_view type_name) {
  thread_local std::uint64_t opaque_counter = 0;
  auto* block = new detail::OpaqueBlock();
  block->type_name = std::string(type_name);
  block->value = std::move(value);
  block->type = type;
  block->seq = ++opaque_counter;
  Term t;
  t.kind_ = Kind::opaque;
  t.u_.heap = block;
  return t;
}

const void* Term::opaque_type() const { return opaque_block(u_.heap)->type; }
std::shared_ptr<void> Term::opaque_value() const { return opaque_block(u_.heap)->value; }

Term Term::make_sequence(Kind kind, std::span<Term> elements) {
  OTPSIM_ASSERT(elements.size() <= UINT32_MAX, "tuple or list too long");
  void* raw = detail::BlockPool::allocate(detail::sequence_bytes(elements.size()));
  auto* block = new (raw) detail::SequenceBlock();
  block->size = static_cast<std::uint32_t>(elements.size());
  Term* out = block->elements();
  for (Term& e : elements) new (out++) Term(std::move(e));  // moves do not throw
  Term t;
  t.kind_ = kind;
  t.u_.heap = block;
  return t;
}

Term Term::tuple_taking(std::span<Term> elements) { return make_sequence(Kind::tuple, elements); }
Term Term::list_taking(std::span<Term> elements) { return make_sequence(Kind::list, elements); }

Term Term::tuple(std::initializer_list<Term> elements) { return tuple(std::vector<Term>(elements)); }
Term Term::tuple(std::vector<Term> elements) { return make_sequence(Kind::tuple, elements); }
Term Term::list(std::initializer_list<Term> elements) { return list(std::vector<Term>(elements)); }
Term Term::list(std::vector<Term> elements) { return make_sequence(Kind::list, elements); }

Term Term::deep_copy() const {
  switch (kind_) {
    case Kind::string: return Term::string(string_value());
    case Kind::tuple:
    case Kind::list: {
      std::vector<Term> copies;
      copies.reserve(size());
      for (const Term& e : elements()) copies.push_back(e.deep_copy());
      return kind_ == Kind::tuple ? Term::tuple(std::move(copies)) : Term::list(std::move(copies));
    }
    case Kind::opaque: {
      const detail::OpaqueBlock* block = opaque_block(u_.heap);
      return make_opaque(block->value, block->type, block->type_name);  // the value itself stays shared
    }
    default: return *this;  // inline: no block
  }
}

void Term::retain_heap() const { ++u_.heap->refcount; }

void Term::release_heap() {
  detail::HeapBlock* heap = u_.heap;
  OTPSIM_ASSERT(heap->refcount > 0, "otpsim internal bug: term refcount underflow");
  const Kind kind = kind_;
  kind_ = Kind::integer;
  u_.integer = 0;
  if (--heap->refcount != 0) return;
  switch (kind) {
    case Kind::opaque: delete opaque_block(heap); return;
    case Kind::tuple:
    case Kind::list: {
      Term* elements = sequence_block(heap)->elements();
      const std::uint32_t size = heap->size;
      for (std::uint32_t i = 0; i < size; ++i) elements[i].~Term();
      sequence_block(heap)->~SequenceBlock();
      detail::BlockPool::deallocate(heap, detail::sequence_bytes(size));
      return;
    }
    default: {
      const std::uint32_t size = heap->size;
      string_block(heap)->~StringBlock();
      detail::BlockPool::deallocate(heap, detail::string_bytes(size));
      return;
    }
  }
}

bool Term::is_atom(std::string_view text) const {
  return kind_ == Kind::atom && u_.atom->text == text;
}

std::int64_t Term::integer() const {
  OTPSIM_ASSERT(kind_ == Kind::integer, "term is not an integer");
  return u_.integer;
}

Atom Term::atom() const {
  OTPSIM_ASSERT(kind_ == Kind::atom, "term is not an atom");
  return Atom(u_.atom);
}

Pid Term::pid() const {
  OTPSIM_ASSERT(kind_ == Kind::pid, "term is not a pid");
  return Pid{u_.id};
}

Ref Term::ref() const {
  OTPSIM_ASSERT(kind_ == Kind::ref, "term is not a ref");
  return Ref{u_.id};
}

std::string_view Term::string_value() const {
  OTPSIM_ASSERT(kind_ == Kind::string, "term is not a string");
  return {string_block(u_.heap)->chars(), u_.heap->size};
}

std::span<const Term> Term::elements() const {
  if (kind_ != Kind::tuple && kind_ != Kind::list) return {};
  return {sequence_block(u_.heap)->elements(), u_.heap->size};
}

const Term& Term::operator[](std::size_t index) const {
  auto elems = elements();
  OTPSIM_ASSERT(index < elems.size(), "term element index out of range");
  return elems[index];
}

bool Term::is_tagged(Atom tag, std::size_t arity) const {
  if (kind_ != Kind::tuple) return false;
  return u_.heap->size == arity && arity > 0 && sequence_block(u_.heap)->elements()[0].is(tag);
}

void Term::append_to(std::string& out) const {
  switch (kind_) {
    case Kind::integer: fmt::format_to(std::back_inserter(out), "{}", u_.integer); return;
    case Kind::atom:
      if (u_.atom->needs_quotes) {
        out += '\'';
        for (char c : u_.atom->text) {
          if (c == '\'' || c == '\\') out += '\\';
          out += c;
        }
        out += '\'';
      } else {
        out += u_.atom->text;
      }
      return;
    case Kind::pid: fmt::format_to(std::back_inserter(out), "<0.{}.0>", u_.id); return;
    case Kind::ref: fmt::format_to(std::back_inserter(out), "#Ref<{}>", u_.id); return;
    case Kind::opaque: fmt::format_to(std::back_inserter(out), "#Opaque<{}>", opaque_block(u_.heap)->type_name); return;
    case Kind::string:
      out += '"';
      for (char c : string_value()) {
        switch (c) {
          case '"': out += "\\\""; break;
          case '\\': out += "\\\\"; break;
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          case '\t': out += "\\t"; break;
          default:
            if (static_cast<unsigned char>(c) < 0x20) {
              fmt::format_to(std::back_inserter(out), "\\{:03o}", static_cast<unsigned>(c));
            } else {
              out += c;
            }
        }
      }
      out += '"';
      return;
    case Kind::tuple:
    case Kind::list: {
      out += kind_ == Kind::tuple ? '{' : '[';
      bool first = true;
      for (const Term& e : elements()) {
        if (!first) out += ',';
        first = false;
        e.append_to(out);
      }
      out += kind_ == Kind::tuple ? '}' : ']';
      return;
    }
  }
}

std::string Term::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

bool operator==(const Term& a, const Term& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Term::Kind::integer: return a.u_.integer == b.u_.integer;
    case Term::Kind::atom: return a.u_.atom == b.u_.atom;
    case Term::Kind::pid:
    case Term::Kind::ref: return a.u_.id == b.u_.id;
    case Term::Kind::string: return a.u_.heap == b.u_.heap || a.string_value() == b.string_value();
    case Term::Kind::opaque: return a.u_.heap == b.u_.heap;
    case Term::Kind::tuple:
    case Term::Kind::list: {
      if (a.u_.heap == b.u_.heap) return true;
      const auto x = a.elements();
      const auto y = b.elements();
      return std::equal(x.begin(), x.end(), y.begin(), y.end());
    }
  }
  return false;
}

std::strong_ordering operator<=>(const Term& a, const Term& b) {
  if (a.kind_ != b.kind_) {
    // Erlang's order of kinds (the enum keeps heap kinds last instead).
    auto rank = [](Term::Kind k) -> int {
      switch (k) {
        case Term::Kind::integer: return 0;
        case Term::Kind::atom: return 1;
        case Term::Kind::ref: return 2;
        case Term::Kind::opaque: return 3;
        case Term::Kind::pid: return 4;
        case Term::Kind::tuple: return 5;
        case Term::Kind::list: return 6;
        case Term::Kind::string: return 7;
      }
      return 8;
    };
    return rank(a.kind_) <=> rank(b.kind_);
  }
  switch (a.kind_) {
    case Term::Kind::integer: return a.u_.integer <=> b.u_.integer;
    case Term::Kind::atom: return Atom(a.u_.atom) <=> Atom(b.u_.atom);
    case Term::Kind::pid:
    case Term::Kind::ref: return a.u_.id <=> b.u_.id;
    case Term::Kind::string: return a.string_value().compare(b.string_value()) <=> 0;
    case Term::Kind::opaque: return opaque_block(a.u_.heap)->seq <=> opaque_block(b.u_.heap)->seq;
    case Term::Kind::tuple:
    case Term::Kind::list: {
      const auto x = a.elements();
      const auto y = b.elements();
      // Erlang compares tuples by size first, lists lexicographically.
      if (a.kind_ == Term::Kind::tuple && x.size() != y.size()) return x.size() <=> y.size();
      return std::lexicographical_compare_three_way(x.begin(), x.end(), y.begin(), y.end());
    }
  }
  return std::strong_ordering::equal;
}

std::ostream& operator<<(std::ostream& out, const Term& term) { return out << term.to_string(); }
std::ostream& operator<<(std::ostream& out, Pid pid) { return out << Term(pid).to_string(); }
std::ostream& operator<<(std::ostream& out, Ref ref) { return out << Term(ref).to_string(); }

namespace atoms {
#define OTPSIM_ATOM(fn, text) \
  Atom fn() {                 \
    static const Atom a(text); \
    return a;                 \
  }
OTPSIM_ATOM(normal, "normal")
OTPSIM_ATOM(kill, "kill")
OTPSIM_ATOM(killed, "killed")
OTPSIM_ATOM(noproc, "noproc")
OTPSIM_ATOM(exit_tag, "EXIT")
OTPSIM_ATOM(down_tag, "DOWN")
OTPSIM_ATOM(process, "process")
OTPSIM_ATOM(timeout, "timeout")
OTPSIM_ATOM(badarg, "badarg")
OTPSIM_ATOM(exception, "exception")
OTPSIM_ATOM(ok, "ok")
OTPSIM_ATOM(error, "error")
OTPSIM_ATOM(shutdown, "shutdown")
OTPSIM_ATOM(undefined, "undefined")
OTPSIM_ATOM(ignore, "ignore")
OTPSIM_ATOM(infinity, "infinity")
#undef OTPSIM_ATOM
}  // namespace atoms

}  // namespace otpsim::sim
