#include "sim/replay_token.hpp"

#include <fmt/format.h>

#include <charconv>

namespace otpsim::sim {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view prefix = "otpsim3";
constexpr std::string_view prefix_v2 = "otpsim2";  // the picks as plain LEB128 varints
constexpr std::string_view prefix_v1 = "otpsim1";  // as otpsim2, and no delivery field: instant

// Appends `bytes` in base64url (no padding).
void append_base64url(std::string& out, const std::vector<std::uint8_t>& bytes) {
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 63];
}

std::optional<std::vector<std::uint8_t>> unbase64url(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    auto pos = alphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (char c : text) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

std::string fnv1a_hex(std::string_view text) { return fmt::format("{:08x}", fnv1a(text)); }

// Appends `value` in decimal or as 8 lower-case hex digits, as fmt's "{}" and
// "{:08x}" would print it.
template <typename T>
void append_decimal(std::string& out, T value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}
void append_hex8(std::string& out, std::uint32_t value) {
  constexpr std::string_view hex = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) out += hex[(value >> shift) & 0xf];
}

// `text` as an error may quote it: on one line (control and non-ASCII bytes
// as \xNN) and at most 40 characters of it.
std::string quoted(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 40; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (text.size() > 40) out += "...";
  return out;
}

bool parse_hex8(std::string_view text, std::uint32_t& out) {
  if (text.size() != 8) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + 8, out, 16);
  return ec == std::errc() && ptr == text.data() + 8 &&
         text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

}  // namespace

bool valid_program_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == ':' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::uint32_t choices_hash(const std::vector<std::uint64_t>& picks) {
  std::uint32_t h = 2166136261u;
  for (std::uint64_t v : picks) {
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<std::uint8_t>(v >> (8 * i));
      h *= 16777619u;
    }
  }
  return h;
}

namespace {

void put_leb128(std::vector<std::uint8_t>& bytes, std::uint64_t v) {
  do {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    bytes.push_back(v != 0 ? (b | 0x80) : b);
  } while (v != 0);
}

// One run of `count` picks `value`: value*2+(count>1) as a varint whose
// first byte holds the flag and 6 bits of value (so all 64 bits fit), then
// count-2 as LEB128 when count > 1.
void put_run(std::vector<std::uint8_t>& bytes, std::uint64_t value, std::uint64_t count) {
  std::uint8_t first = static_cast<std::uint8_t>(((value & 0x3f) << 1) | (count > 1 ? 1 : 0));
  value >>= 6;
  bytes.push_back(value != 0 ? (first | 0x80) : first);
  while (value != 0) {
    std::uint8_t b = value & 0x7f;
    value >>= 7;
    bytes.push_back(value != 0 ? (b | 0x80) : b);
  }
  if (count > 1) put_leb128(bytes, count - 2);
}

// Reads a LEB128 varint at `at`; false if it runs off the end or past 64 bits.
bool get_leb128(const std::vector<std::uint8_t>& bytes, std::size_t& at, std::uint64_t& out) {
  out = 0;
  for (int shift = 0; at < bytes.size(); shift += 7) {
    std::uint8_t b = bytes[at++];
    if (shift > 63 || (shift == 63 && (b & 0x7e) != 0)) return false;
    out |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The picks a run-length coded stream holds; an error (one line) if it is
// malformed or would expand past `max_picks`.
std::optional<std::string> get_runs(const std::vector<std::uint8_t>& bytes, std::uint64_t max_picks,
                                    std::vector<std::uint64_t>& picks) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    std::uint8_t first = bytes[at++];
    const bool repeated = (first & 1) != 0;
    std::uint64_t value = (first >> 1) & 0x3f;
    if ((first & 0x80) != 0) {
      std::uint64_t rest = 0;
      if (!get_leb128(bytes, at, rest) || rest >> 58 != 0) return "field 9 (choices) has an oversized or unfinished number";
      value |= rest << 6;
    }
    std::uint64_t count = 1;
    if (repeated) {
      std::uint64_t extra = 0;
      if (!get_leb128(bytes, at, extra)) return "field 9 (choices) has an oversized or unfinished run length";
      if (extra > max_picks) return "field 9 (choices) holds more choices than the run has steps";
      count = extra + 2;
    }
    if (count > max_picks - std::min<std::uint64_t>(max_picks, picks.size())) {
      return "field 9 (choices) holds more choices than the run has steps";
    }
    picks.insert(picks.end(), count, value);
  }
  return std::nullopt;
}

}  // namespace

// Every run of a sweep encodes its token (about 2% of a short scenario's
// run), so it is built in one buffer, without fmt or temporary strings.
std::string encode_token(const ReplayToken& token) {
  std::vector<std::uint8_t> bytes;
  if (!token.from_seed) {
    bytes.reserve(token.picks.size() / 2 + 8);
    for (std::size_t i = 0; i < token.picks.size();) {
      std::size_t j = i + 1;
      while (j < token.picks.size() && token.picks[j] == token.picks[i]) ++j;
      put_run(bytes, token.picks[i], j - i);
      i = j;
    }
  }
  std::string text;
  text.reserve(prefix.size() + token.program.size() + token.strategy.size() + 5 * 21 + (bytes.size() * 8 + 5) / 6 +
               10 + 8);
  text += prefix;
  text += '.';
  text += token.program;
  text += '.';
  append_decimal(text, token.seed);
  text += '.';
  text += token.strategy;
  text += '.';
  text += delivery_name(token.delivery);
  text += '.';
  append_decimal(text, token.steps);
  text += '.';
  append_decimal(text, token.steps_max);
  text += '.';
  append_decimal(text, token.time_max_us);
  text += '.';
  if (token.from_seed) {
    text += 'S';
    append_hex8(text, token.choices_hash);
  } else {
    text += 'R';
    append_base64url(text, bytes);
  }
  const std::uint32_t check = fnv1a(text);
  text += '.';
  append_hex8(text, check);
  return text;
}

TokenParse decode_token(std::string_view text) {
  auto fail = [](std::string message) { return TokenParse{std::nullopt, std::move(message)}; };
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    std::size_t dot = text.find('.', start);
    fields.push_back(text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  ReplayToken token;
  const bool v1 = fields[0] == prefix_v1 && fields.size() == 9;
  if (v1) {
    token.delivery = Delivery::instant;
    fields.insert(fields.begin() + 4, "instant");
  } else {
    if (fields.size() != 10) {
      return fail(fmt::format("bad replay token: expected 10 dot-separated fields, found {}", fields.size()));
    }
    if (fields[0] != prefix && fields[0] != prefix_v2) {
      return fail(fmt::format("bad replay token: field 1 is '{}', expected '{}'", quoted(fields[0]), prefix));
    }
    if (fields[4] == "async") {
      token.delivery = Delivery::async;
    } else if (fields[4] == "instant") {
      token.delivery = Delivery::instant;
    } else {
      return fail("bad replay token: field 5 (delivery) is not async or instant");
    }
  }
  std::string_view body = text.substr(0, text.size() - fields[9].size() - 1);
  if (fnv1a_hex(body) != fields[9]) {
    return fail(fmt::format("bad replay token: checksum mismatch (field {}); the token was altered or truncated",
                            v1 ? 9 : 10));
  }
  token.program = std::string(fields[1]);
  if (!valid_program_name(token.program)) return fail("bad replay token: field 2 is not a program name");
  if (!parse_number(fields[2], token.seed)) return fail("bad replay token: field 3 (seed) is not a number");
  token.strategy = std::string(fields[3]);
  if (!parse_number(fields[5], token.steps)) return fail("bad replay token: field 6 (steps) is not a number");
  if (!parse_number(fields[6], token.steps_max)) return fail("bad replay token: field 7 (steps_max) is not a number");
  if (!parse_number(fields[7], token.time_max_us) || token.time_max_us < 0 || token.time_max_us >= (Micros{1} << 62)) {
    return fail("bad replay token: field 8 (time_max_us) is not a time limit (0 to 2^62 us)");
  }
  std::string_view choices = fields[8];
  if (fields[0] == prefix) {
    if (choices.empty() || (choices[0] != 'S' && choices[0] != 'R')) {
      return fail("bad replay token: field 9 (choices) starts with neither S (from the seed) nor R (listed)");
    }
    const char kind = choices[0];
    choices.remove_prefix(1);
    if (kind == 'S') {
      if (choices.size() != 8 || !parse_hex8(choices, token.choices_hash)) {
        return fail("bad replay token: field 9 (choices) is S and not 8 hex digits");
      }
      token.from_seed = true;
      return TokenParse{std::move(token), {}};
    }
  }
  auto bytes = unbase64url(choices);
  if (!bytes) return fail("bad replay token: field 9 (choices) is not base64url");
  // A run-length coded token may not expand past max_choices (a few bytes
  // must not become gigabytes).
  const std::uint64_t max_picks = max_choices(token.steps);
  if (fields[0] == prefix) {
    if (auto error = get_runs(*bytes, max_picks, token.picks)) return fail("bad replay token: " + *error);
    return TokenParse{std::move(token), {}};
  }
  std::size_t at = 0;
  while (at < bytes->size()) {
    std::uint64_t value = 0;
    if (!get_leb128(*bytes, at, value)) {
      return fail(at >= bytes->size() ? "bad replay token: field 9 (choices) ends mid-number"
                                      : "bad replay token: field 9 (choices) has an oversized number");
    }
    token.picks.push_back(value);
  }
  return TokenParse{std::move(token), {}};
}

}  // namespace otpsim::sim
