#include "albatross/discovery/dns_message.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace albatross::discovery {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

void put_name(Bytes& b, const std::string& name) {
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<std::uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  b.push_back(0);
}

// A response header and the question "app.test" (name at offset 12).
Bytes response(std::uint16_t id, std::uint16_t answers, DnsType type = DnsType::a,
               std::uint16_t flags = 0x8180) {
  Bytes b;
  put16(b, id);
  put16(b, flags);
  put16(b, 1);
  put16(b, answers);
  put16(b, 0);
  put16(b, 0);
  put_name(b, "app.test");
  put16(b, static_cast<std::uint16_t>(type));
  put16(b, 1);
  return b;
}

void put_record(Bytes& b, std::uint16_t type, const Bytes& rdata, Bytes owner = {0xc0, 12}) {
  b.insert(b.end(), owner.begin(), owner.end());
  put16(b, type);
  put16(b, 1);
  put16(b, 0);
  put16(b, 30);  // TTL
  put16(b, static_cast<std::uint16_t>(rdata.size()));
  b.insert(b.end(), rdata.begin(), rdata.end());
}

std::optional<DnsMessage> parse(const Bytes& b, DnsType type = DnsType::a,
                                std::string* error_out = nullptr) {
  std::string error;
  auto m = DnsMessage::parse(b, 0x1234, "app.test", type, error);
  if (error_out) *error_out = error;
  return m;
}

TEST_CASE("DnsMessage::query encodes a standard recursive query") {
  std::string error;
  auto q = DnsMessage::query(0xbeef, "App.Test.", DnsType::aaaa, error);
  REQUIRE(q);
  Bytes expected{0xbe, 0xef, 0x01, 0x00, 0,   1,   0,   0,   0, 0, 0,  0, 3,
                 'A',  'p',  'p',  4,    'T', 'e', 's', 't', 0, 0, 28, 0, 1};
  CHECK(*q == expected);
}

TEST_CASE("DnsMessage::query refuses names that are not domain names") {
  std::string error;
  CHECK_FALSE(DnsMessage::query(1, "", DnsType::a, error));
  CHECK_FALSE(DnsMessage::query(1, "a..b", DnsType::a, error));
  CHECK(error.find("1 to 63") != std::string::npos);
  CHECK_FALSE(DnsMessage::query(1, std::string(64, 'a') + ".test", DnsType::a, error));
  CHECK_FALSE(DnsMessage::query(1, std::string(254, 'a'), DnsType::a, error));
  CHECK(DnsMessage::query(1, std::string(63, 'a') + ".test", DnsType::a, error));
}

TEST_CASE("DnsMessage::parse reads A records, compressed owners included, each address once") {
  Bytes b = response(0x1234, 3);
  put_record(b, 1, {10, 0, 0, 1});
  put_record(b, 1, {10, 0, 0, 2});
  put_record(b, 1, {10, 0, 0, 1});
  auto m = parse(b);
  REQUIRE(m);
  CHECK(m->rcode == DnsMessage::kNoError);
  CHECK_FALSE(m->truncated);
  REQUIRE(m->addresses.size() == 2);
  CHECK(m->addresses[0].to_string() == "10.0.0.1");
  CHECK(m->addresses[1].to_string() == "10.0.0.2");
}

TEST_CASE("DnsMessage::parse reads AAAA records with an uncompressed owner") {
  Bytes b = response(0x1234, 1, DnsType::aaaa);
  Bytes owner;
  put_name(owner, "APP.test");
  Bytes v6(16, 0);
  v6[0] = 0xfd;
  v6[15] = 1;
  put_record(b, 28, v6, owner);
  auto m = parse(b, DnsType::aaaa);
  REQUIRE(m);
  REQUIRE(m->addresses.size() == 1);
  CHECK(m->addresses[0].to_string() == "fd00::1");
}

TEST_CASE("DnsMessage::parse follows a CNAME within the message and skips foreign records") {
  Bytes b = response(0x1234, 3);
  Bytes cname;
  put_name(cname, "real.test");
  std::size_t cname_owner_offset = b.size() + 12;  // where the CNAME's rdata (a name) begins
  put_record(b, 5, cname);
  put_record(b, 1, {192, 0, 2, 7},
             {0xc0, static_cast<std::uint8_t>(cname_owner_offset)});  // real.test A
  Bytes other;
  put_name(other, "other.test");
  put_record(b, 1, {192, 0, 2, 9}, other);  // not an answer to the question
  auto m = parse(b);
  REQUIRE(m);
  REQUIRE(m->addresses.size() == 1);
  CHECK(m->addresses[0].to_string() == "192.0.2.7");
}

TEST_CASE("DnsMessage::parse: NXDOMAIN and NODATA are answers without addresses") {
  auto nx = parse(response(0x1234, 0, DnsType::a, 0x8183));
  REQUIRE(nx);
  CHECK(nx->rcode == DnsMessage::kNameError);
  CHECK(nx->addresses.empty());
  auto nodata = parse(response(0x1234, 0));
  REQUIRE(nodata);
  CHECK(nodata->rcode == DnsMessage::kNoError);
  CHECK(nodata->addresses.empty());
}

TEST_CASE("DnsMessage::parse refuses what is not the response to this query") {
  std::string error;
  CHECK_FALSE(parse(Bytes{0x12, 0x34, 0x81}, DnsType::a, &error));
  CHECK(error.find("shorter") != std::string::npos);
  CHECK_FALSE(parse(response(0x9999, 0), DnsType::a, &error));
  CHECK(error.find("id") != std::string::npos);
  CHECK_FALSE(parse(response(0x1234, 0, DnsType::a, 0x0100), DnsType::a, &error));
  CHECK(error.find("QR") != std::string::npos);
  CHECK_FALSE(parse(response(0x1234, 0, DnsType::a, 0x8980), DnsType::a, &error));  // opcode 1
  CHECK_FALSE(parse(response(0x1234, 0, DnsType::aaaa), DnsType::a, &error));
  CHECK(error.find("another question") != std::string::npos);
  std::string other_name_error;
  CHECK_FALSE(
      DnsMessage::parse(response(0x1234, 0), 0x1234, "app.other", DnsType::a, other_name_error));
  Bytes two_questions = response(0x1234, 0);
  two_questions[5] = 2;
  CHECK_FALSE(parse(two_questions, DnsType::a, &error));
}

TEST_CASE("DnsMessage::parse refuses malformed records and names") {
  std::string error;
  SUBCASE("cut inside a record") {
    Bytes b = response(0x1234, 1);
    put_record(b, 1, {10, 0, 0, 1});
    b.resize(b.size() - 2);
    CHECK_FALSE(parse(b, DnsType::a, &error));
    CHECK(error.find("cut") != std::string::npos);
  }
  SUBCASE("more answers announced than present") {
    Bytes b = response(0x1234, 2);
    put_record(b, 1, {10, 0, 0, 1});
    CHECK_FALSE(parse(b, DnsType::a, &error));
  }
  SUBCASE("an A record of the wrong length") {
    Bytes b = response(0x1234, 1);
    put_record(b, 1, {10, 0, 0});
    CHECK_FALSE(parse(b, DnsType::a, &error));
    CHECK(error.find("A record of 3 bytes") != std::string::npos);
  }
  SUBCASE("a compression pointer to itself") {
    Bytes b = response(0x1234, 1);
    std::size_t at = b.size();
    put_record(b, 1, {10, 0, 0, 1}, {0xc0, static_cast<std::uint8_t>(at)});
    CHECK_FALSE(parse(b, DnsType::a, &error));
    CHECK(error.find("compression pointer") != std::string::npos);
  }
  SUBCASE("a compression pointer forwards, beyond the message") {
    Bytes b = response(0x1234, 1);
    put_record(b, 1, {10, 0, 0, 1}, {0xff, 0xff});
    CHECK_FALSE(parse(b, DnsType::a, &error));
  }
  SUBCASE("a pointer cut in half") {
    Bytes b = response(0x1234, 1);
    b.push_back(0xc0);
    CHECK_FALSE(parse(b, DnsType::a, &error));
  }
  SUBCASE("a reserved label type") {
    Bytes b = response(0x1234, 1);
    put_record(b, 1, {10, 0, 0, 1}, {0x40, 0});
    CHECK_FALSE(parse(b, DnsType::a, &error));
    CHECK(error.find("label type") != std::string::npos);
  }
  SUBCASE("a label running past the end") {
    Bytes b = response(0x1234, 1);
    b.push_back(30);
    b.push_back('x');
    CHECK_FALSE(parse(b, DnsType::a, &error));
  }
  SUBCASE("a question cut short") {
    Bytes b = response(0x1234, 0);
    b.resize(b.size() - 3);
    CHECK_FALSE(parse(b, DnsType::a, &error));
  }
  SUBCASE("a name over 255 bytes through pointers chaining backwards") {
    // A first record (TXT, skipped) carries 5 labels of 63 bytes, each followed by a pointer
    // back to the previous one; the A record's owner points at the last.
    Bytes b = response(0x1234, 2);
    std::size_t rdata_start = b.size() + 2 + 10;
    Bytes chain;
    std::size_t previous = 12;
    std::size_t last = 0;
    for (int i = 0; i < 5; ++i) {
      last = rdata_start + chain.size();
      chain.push_back(63);
      chain.insert(chain.end(), 63, 'a');
      chain.push_back(static_cast<std::uint8_t>(0xc0 | (previous >> 8)));
      chain.push_back(static_cast<std::uint8_t>(previous & 0xff));
      previous = last;
    }
    put_record(b, 16, chain);
    put_record(b, 1, {10, 0, 0, 1},
               {static_cast<std::uint8_t>(0xc0 | (last >> 8)), static_cast<std::uint8_t>(last)});
    CHECK_FALSE(parse(b, DnsType::a, &error));
    CHECK(error.find("255") != std::string::npos);
  }
}

TEST_CASE("DnsMessage::parse: a truncated (TC) response keeps the complete records it holds") {
  Bytes b = response(0x1234, 3, DnsType::a, 0x8380);
  put_record(b, 1, {10, 0, 0, 1});
  put_record(b, 1, {10, 0, 0, 2});
  b.resize(b.size() - 1);  // the second record is cut, the third missing
  auto m = parse(b);
  REQUIRE(m);
  CHECK(m->truncated);
  REQUIRE(m->addresses.size() == 1);
  CHECK(m->addresses[0].to_string() == "10.0.0.1");
}

}  // namespace
}  // namespace albatross::discovery
