#include "albatross/discovery/dns_message.hpp"

#include <algorithm>

#include "albatross/common/ascii.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::discovery {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::uint16_t kClassIn = 1;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::size_t kMaxName = 253;
constexpr std::size_t kMaxLabel = 63;
// Enough for any name of 255 bytes (at most 127 labels); more jumps than that is a loop.
constexpr int kMaxPointers = 128;

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

std::string_view trim_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

bool same_name(std::string_view a, std::string_view b) {
  a = trim_dot(a);
  b = trim_dot(b);
  return ascii::iequals(a, b);
}

// Reads the (possibly compressed) name at `at` into `out` as dotted text; `end` is where the
// name ends in the message (after its first pointer, if any). False with `error` on a bad name.
bool read_name(std::span<const std::uint8_t> m, std::size_t at, std::string& out, std::size_t& end,
               std::string& error) {
  out.clear();
  bool jumped = false;
  int pointers = 0;
  std::size_t wire_length = 0;
  for (;;) {
    if (at >= m.size()) {
      error = "message cut inside a name";
      return false;
    }
    std::uint8_t length = m[at];
    if ((length & 0xc0) == 0xc0) {
      if (at + 1 >= m.size()) {
        error = "message cut inside a compression pointer";
        return false;
      }
      std::size_t target = static_cast<std::size_t>(((length & 0x3f) << 8) | m[at + 1]);
      // Pointers go backwards only: a forward or self pointer is malformed or a loop.
      if (target >= at || ++pointers > kMaxPointers) {
        error = "compression pointer out of range or in a loop";
        return false;
      }
      if (!jumped) end = at + 2;
      jumped = true;
      at = target;
      continue;
    }
    if ((length & 0xc0) != 0) {
      error = "unknown label type";
      return false;
    }
    if (length == 0) {
      if (!jumped) end = at + 1;
      return true;
    }
    if (at + 1 + length > m.size()) {
      error = "message cut inside a label";
      return false;
    }
    wire_length += length + 1u;
    if (wire_length > kMaxName + 1) {
      error = "name longer than 255 bytes";
      return false;
    }
    if (!out.empty()) out.push_back('.');
    out.append(reinterpret_cast<const char*>(&m[at + 1]), length);
    at += 1u + length;
  }
}

}  // namespace

std::optional<std::vector<std::uint8_t>> DnsMessage::query(std::uint16_t id, std::string_view name,
                                                           DnsType type, std::string& error) {
  name = trim_dot(name);
  if (name.empty() || name.size() > kMaxName) {
    error = str_cat("\"", name, "\" is not a domain name (1 to 253 bytes)");
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + name.size() + 6);
  put16(out, id);
  put16(out, 0x0100);  // standard query, recursion desired
  put16(out, 1);       // one question
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  while (!name.empty()) {
    std::size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabel) {
      error = str_cat("\"", name, "\": every label must be 1 to 63 bytes");
      return std::nullopt;
    }
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
  put16(out, static_cast<std::uint16_t>(type));
  put16(out, kClassIn);
  return out;
}

std::optional<DnsMessage> DnsMessage::parse(std::span<const std::uint8_t> m, std::uint16_t id,
                                            std::string_view name, DnsType type,
                                            std::string& error) {
  if (m.size() < kHeaderSize) {
    error = "message shorter than a DNS header";
    return std::nullopt;
  }
  DnsMessage message;
  message.id = get16(m, 0);
  std::uint16_t flags = get16(m, 2);
  if (message.id != id) {
    error = "response to another query (id)";
    return std::nullopt;
  }
  if ((flags & 0x8000) == 0) {
    error = "not a response (QR clear)";
    return std::nullopt;
  }
  if (((flags >> 11) & 0xf) != 0) {
    error = "not a standard query response (opcode)";
    return std::nullopt;
  }
  message.truncated = (flags & 0x0200) != 0;
  message.rcode = static_cast<std::uint8_t>(flags & 0xf);
  std::uint16_t questions = get16(m, 4);
  std::uint16_t answers = get16(m, 6);
  if (questions != 1) {
    error = str_cat("expected one question, got ", questions);
    return std::nullopt;
  }
  std::string owner;
  std::size_t at = kHeaderSize;
  std::size_t end = 0;
  if (!read_name(m, at, owner, end, error)) return std::nullopt;
  if (end + 4 > m.size()) {
    error = "message cut inside the question";
    return std::nullopt;
  }
  if (!same_name(owner, name) || get16(m, end) != static_cast<std::uint16_t>(type) ||
      get16(m, end + 2) != kClassIn) {
    error = "response to another question";
    return std::nullopt;
  }
  at = end + 4;
  // Names whose records answer the question: the name asked, then the targets of its CNAMEs.
  std::vector<std::string> names{std::string(trim_dot(name))};
  auto answers_for = [&](std::string_view n) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& known) { return same_name(known, n); });
  };
  for (std::uint16_t i = 0; i < answers; ++i) {
    if (!read_name(m, at, owner, end, error)) {
      // A truncated response may stop anywhere: keep what was complete.
      if (message.truncated) return message;
      return std::nullopt;
    }
    if (end + 10 > m.size()) {
      if (message.truncated) return message;
      error = "message cut inside a record";
      return std::nullopt;
    }
    std::uint16_t rtype = get16(m, end);
    std::uint16_t rclass = get16(m, end + 2);
    std::size_t rdlength = get16(m, end + 8);
    std::size_t rdata = end + 10;
    if (rdata + rdlength > m.size()) {
      if (message.truncated) return message;
      error = "message cut inside a record's data";
      return std::nullopt;
    }
    at = rdata + rdlength;
    if (rclass != kClassIn || !answers_for(owner)) continue;
    if (rtype == kTypeCname) {
      std::string target;
      std::size_t target_end = 0;
      if (!read_name(m, rdata, target, target_end, error)) return std::nullopt;
      if (target_end > at) {
        error = "CNAME data longer than its record";
        return std::nullopt;
      }
      names.push_back(std::move(target));
      continue;
    }
    if (rtype != static_cast<std::uint16_t>(type)) continue;
    boost::asio::ip::address address;
    if (type == DnsType::a) {
      if (rdlength != 4) {
        error = str_cat("A record of ", rdlength, " bytes");
        return std::nullopt;
      }
      boost::asio::ip::address_v4::bytes_type bytes;
      std::copy_n(&m[rdata], 4, bytes.begin());
      address = boost::asio::ip::address_v4(bytes);
    } else {
      if (rdlength != 16) {
        error = str_cat("AAAA record of ", rdlength, " bytes");
        return std::nullopt;
      }
      boost::asio::ip::address_v6::bytes_type bytes;
      std::copy_n(&m[rdata], 16, bytes.begin());
      address = boost::asio::ip::address_v6(bytes);
    }
    if (std::find(message.addresses.begin(), message.addresses.end(), address) ==
        message.addresses.end()) {
      message.addresses.push_back(address);
    }
  }
  return message;
}

}  // namespace albatross::discovery
