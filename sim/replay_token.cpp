#include "sim/replay_token.hpp"

#include <fmt/format.h>

#include <charconv>

namespace otpsim::sim {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view prefix = "otpsim2";
constexpr std::string_view prefix_v1 = "otpsim1";  // no delivery field: instant

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

// Every run of a sweep encodes its token (about 2% of a short scenario's
// run), so it is built in one buffer, without fmt or temporary strings.
std::string encode_token(const ReplayToken& token) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(token.picks.size() + token.picks.size() / 4);
  for (std::uint64_t v : token.picks) {
    do {
      std::uint8_t b = v & 0x7f;
      v >>= 7;
      bytes.push_back(v != 0 ? (b | 0x80) : b);
    } while (v != 0);
  }
  std::string text;
  text.reserve(prefix.size() + token.program.size() + token.strategy.size() + 5 * 21 + (bytes.size() * 8 + 5) / 6 +
               9 + 8);
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
  append_base64url(text, bytes);
  const std::uint32_t check = fnv1a(text);
  text += '.';
  append_hex8(text, check);
  return text;
}

TokenParse decode_token(std::string_view text) {
  auto fail = [](std::string message) { return TokenParse{std::nullopt, std::move(message)}; };
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    std::size_t dot = text.find('.', start);
    fields.push_back(text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  ReplayToken token;
  if (fields[0] == prefix_v1 && fields.size() == 9) {
    token.delivery = Delivery::instant;
    fields.insert(fields.begin() + 4, "instant");
  } else {
    if (fields.size() != 10) {
      return fail(fmt::format("bad replay token: expected 10 dot-separated fields, found {}", fields.size()));
    }
    if (fields[0] != prefix) return fail(fmt::format("bad replay token: field 1 is '{}', expected '{}'", fields[0], prefix));
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
                            token.delivery == Delivery::instant && fields[0] == prefix_v1 ? 9 : 10));
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
  auto bytes = unbase64url(fields[8]);
  if (!bytes) return fail("bad replay token: field 9 (choices) is not base64url");
  std::uint64_t value = 0;
  int shift = 0;
  for (std::uint8_t b : *bytes) {
    if (shift > 63) return fail("bad replay token: field 9 (choices) has an oversized number");
    value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) == 0) {
      token.picks.push_back(value);
      value = 0;
      shift = 0;
    }
  }
  if (shift != 0) return fail("bad replay token: field 9 (choices) ends mid-number");
  return TokenParse{std::move(token), {}};
}

}  // namespace otpsim::sim
