#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace albatross::discovery {

// The record types albatross asks for.
enum class DnsType : std::uint16_t { a = 1, aaaa = 28 };

// One DNS message as albatross needs it (RFC 1035 §4): A and AAAA queries out, the addresses of
// their answers in. Pure: no I/O, no allocation beyond the results. Thread: any.
struct DnsMessage {
  static constexpr std::size_t kMaxUdpSize = 512;  // RFC 1035 §2.3.4, without EDNS
  static constexpr std::uint8_t kNoError = 0;
  static constexpr std::uint8_t kNameError = 3;  // NXDOMAIN

  std::uint16_t id = 0;
  std::uint8_t rcode = 0;
  bool truncated = false;  // TC: the answer did not fit; ask again over TCP
  // The A or AAAA records answering the question, following CNAMEs within the message; each
  // address once, in the order of the message.
  std::vector<boost::asio::ip::address> addresses;

  // A standard query (RD set) for `name` ("app.internal", one trailing dot allowed). nullopt
  // with `error` when the name is not a valid domain name (empty label, label over 63 bytes,
  // name over 253).
  static std::optional<std::vector<std::uint8_t>> query(std::uint16_t id, std::string_view name,
                                                        DnsType type, std::string& error);

  // Parses a response to the query `id` for `name` and `type`. nullopt with `error` when the
  // message is not such a response: too short, cut inside a record, not a response, another id
  // or question, a compression pointer out of range or in a loop, a bad label. A truncated
  // (TC) response parses with `truncated` set and the records it holds.
  static std::optional<DnsMessage> parse(std::span<const std::uint8_t> message, std::uint16_t id,
                                         std::string_view name, DnsType type, std::string& error);
};

}  // namespace albatross::discovery
