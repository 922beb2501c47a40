// AWS's http-desync-guardian suite (tests/conformance/http-desync-guardian, 158 classified
// requests) replayed through a running albatross to a target that records every byte it gets,
// once per desync_mitigation_mode. Per case: albatross's classifier gives the reference tier,
// or Severe where RFC 9112 says to reject what the reference grades lower (the rules listed
// below, each case counted so any change shows); what reaches the target is one clean
// request (one Content-Length of digits or chunked framing re-encoded by albatross, no control
// characters, no obs-fold, no invalid or look-alike names); Compliant and Acceptable requests
// leave both connections open; Ambiguous ones (defensive) are forwarded and then both the
// client and the target connection are closed; Severe ones never reach the target and get a
// 400 (501/505 where the request is well formed but unsupported) and a closed connection in
// every mode; strictest refuses all but Compliant. Metrics and access-log lines count each
// classified request by tier and reason. A per-tier table of the outcomes is printed.
#include <doctest/doctest.h>

#include "albatross/common/ascii.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>

#include "albatross/http/head_scanner.hpp"
#include "albatross/http/request_head.hpp"
#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/conformance_case.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/scripted_target.hpp"
#include "support/yaml_subset.hpp"

namespace albatross::testing {
namespace {

using http::Reason;
using http::Tier;
using std::chrono::seconds;

const std::string kCaseDirectory = ALBATROSS_SOURCE_DIR "/tests/conformance/http-desync-guardian";
constexpr std::size_t kCaseCount = 158;

// Where albatross's tier differs from the reference's: always stricter, by the RFC 9112 rule its
// reason names, and for exactly `cases` cases of the suite (per mode: monitor forwards the codings
// the others refuse as not implemented).
struct Deviation {
  Reason reason;
  Tier tier;
  int cases;          // in defensive and strictest
  int monitor_cases;  // in monitor
  std::string_view why;
};
constexpr Deviation kDeviations[] = {
    {Reason::invalid_field_line, Tier::severe, 32, 32,
     "a field name that is not a token (whitespace before the colon, controls, non-ASCII look-"
     "alikes), no colon, or whitespace before the first field line: RFC 9112 5 and 2.2 say reject; "
     "the reference drops or flags them"},
    {Reason::invalid_field_value, Tier::severe, 5, 5,
     "a control character in a field value: RFC 9110 5.5; the reference says NonCompliantHeader"},
    {Reason::invalid_request_target, Tier::severe, 5, 5,
     "an empty target, or SP, HTAB, controls or raw UTF-8 in it: an invalid request line "
     "(RFC 9112 3), answered 400 rather than re-encoded"},
    {Reason::bad_transfer_encoding, Tier::severe, 10, 10,
     "Transfer-Encoding other than exactly one field ending in a parameterless chunked "
     "(identity, parameters on chunked, several fields, with or without Content-Length): RFC 9112 "
     "6.1 and 6.3"},
    {Reason::unsupported_transfer_encoding, Tier::severe, 1, 0,
     "a coding before chunked that albatross does not implement (gzip, chunked): 501, RFC 9112 "
     "6.1"},
    {Reason::forwarded_transfer_coding, Tier::ambiguous, 0, 1,
     "the same in monitor mode: forwarded unchanged, flagged"},
};

// The last coding of a Transfer-Encoding list, parameters removed.
std::string_view final_coding(std::string_view value) {
  std::size_t comma = value.rfind(',');
  if (comma != std::string_view::npos) value.remove_prefix(comma + 1);
  return ascii::trim_ows(value.substr(0, value.find(';')));
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Tier tier_named(std::string_view name) {
  for (Tier t : {Tier::compliant, Tier::acceptable, Tier::ambiguous, Tier::severe}) {
    if (http::tier_name(t) == name) return t;
  }
  FAIL("unknown tier " << name);
  return Tier::compliant;
}

// The deviation that explains albatross's `reason` for a case the reference grades `reference`,
// or nullptr when the tiers must agree.
const Deviation* deviation_for(Reason reason, Tier judged, Tier reference) {
  if (judged <= reference) return nullptr;
  for (const Deviation& d : kDeviations) {
    if (d.reason == reason && d.tier == judged) return &d;
  }
  return nullptr;
}

// How albatross judges the case's bytes, the way the session does: the head scanner first (a
// bare CR or LF is Severe before any parsing), then parse_request_head.
struct Judgement {
  Tier tier = Tier::compliant;
  Reason reason = Reason::compliant;
  int refusal_status = 400;  // when refused as Severe
  bool parsed = false;       // got past the scanner (invalid names are counted from there on)
  bool invalid_names_dropped = false;
  bool invalid_names_forwarded = false;
};

Judgement judge(const std::string& wire, bool drop_invalid_header_fields, bool monitor) {
  static const http::HeadLimits limits;
  http::HeadScanner scanner(limits);
  Judgement j;
  switch (scanner.scan(wire)) {
    case http::HeadScanner::Status::complete:
      break;
    case http::HeadScanner::Status::bare_line_break:
      j.tier = Tier::severe;
      j.reason = scanner.in_start_line() ? Reason::bad_uri : Reason::bad_header;
      return j;
    default:
      FAIL("the head scanner does not accept the case: " << wire);
      return j;
  }
  http::RequestHead head;
  http::ParseOptions options;
  options.drop_invalid_header_fields = drop_invalid_header_fields;
  options.forward_transfer_codings = monitor;
  parse_request_head(std::string_view(wire).substr(0, scanner.head_size()), options, head);
  j.tier = head.tier;
  j.reason = head.reason;
  j.refusal_status = head.error_status();
  j.parsed = true;
  j.invalid_names_dropped = head.invalid_field_names > 0;
  j.invalid_names_forwarded = head.forwarded_invalid_names > 0;
  return j;
}

// The body a client sends with the case, framed the RFC 9112 way from the fields named exactly
// Transfer-Encoding and Content-Length: a final chunked coding wins; otherwise Content-Length
// values that are all the same number; otherwise none.
std::string body_for(const ConformanceCase& c) {
  bool chunked = false;
  std::string length;
  bool lengths_agree = true;
  for (const auto& [name, value] : c.headers) {
    if (ascii::iequals(name, "transfer-encoding")) {
      chunked = ascii::iequals(final_coding(value), "chunked");
    } else if (ascii::iequals(name, "content-length")) {
      std::string_view v = ascii::trim_ows(value);
      if (!all_digits(v) || (!length.empty() && length != v)) lengths_agree = false;
      length = v;
    }
  }
  if (chunked) return "5\r\nhello\r\n0\r\n\r\n";
  if (!length.empty() && lengths_agree && length.size() < 9) {
    return std::string(std::stoul(length), 'b');
  }
  return {};
}

bool is_tchar(unsigned char c) {
  return std::isalnum(c) || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// Letters only, lower case: how a lenient parser might read a field name.
std::string letters_of(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isalpha(static_cast<unsigned char>(c)))
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// Empty when `request` (head and body, as the target read it) is one unambiguous request;
// otherwise what is wrong with it.
std::string why_unclean(std::string_view request, bool alnum_names_only) {
  std::size_t end = request.find("\r\n\r\n");
  if (end == std::string_view::npos) return "no end of head";
  std::string_view head = request.substr(0, end + 2);
  std::string_view body = request.substr(end + 4);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n')) return "bare CR";
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) return "bare LF";
  }
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return "request line";
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), [](char c) {
        return is_tchar(static_cast<unsigned char>(c));
      }))
    return "method";
  for (char ch : target) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return "space or control in the target";
  }
  if (line.substr(sp2 + 1) != "HTTP/1.1") return "version";
  int content_lengths = 0, transfer_encodings = 0, hosts = 0;
  std::uint64_t length = 0;
  bool chunked = false;
  for (std::size_t at = eol + 2; at < head.size();) {
    std::size_t next = head.find("\r\n", at);
    line = head.substr(at, next - at);
    at = next + 2;
    if (line.empty()) return "empty field line";
    if (line.front() == ' ' || line.front() == '\t') return "obs-fold";
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return "field line without a name";
    std::string_view name = line.substr(0, colon);
    std::string_view value = ascii::trim_ows(line.substr(colon + 1));
    for (char ch : name) {
      auto c = static_cast<unsigned char>(ch);
      if (!is_tchar(c)) return "field name not a token: " + std::string(name);
      if (alnum_names_only && !(std::isalnum(c) || c == '-')) {
        return "field name outside [-A-Za-z0-9]: " + std::string(name);
      }
    }
    for (char ch : value) {
      auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) return "control character in " + std::string(name);
    }
    std::string letters = letters_of(name);
    if (ascii::iequals(name, "content-length")) {
      ++content_lengths;
      if (!all_digits(value) || value.size() > 18) return "Content-Length not digits";
      length = std::stoull(std::string(value));
    } else if (ascii::iequals(name, "transfer-encoding")) {
      ++transfer_encodings;
      chunked = ascii::iequals(final_coding(value), "chunked");
      if (!chunked) return "Transfer-Encoding not ending in chunked";
    } else if (letters == "contentlength" || letters == "transferencoding") {
      return "look-alike framing field: " + std::string(name);
    } else if (ascii::iequals(name, "host")) {
      ++hosts;
    }
  }
  if (content_lengths > 1) return "several Content-Length fields";
  if (transfer_encodings > 1) return "several Transfer-Encoding fields";
  if (content_lengths && transfer_encodings) return "both Content-Length and Transfer-Encoding";
  if (hosts != 1) return "not exactly one Host";
  if (chunked) {
    // Clean chunk lines only: hex size CRLF data CRLF, no extensions, no trailers.
    while (true) {
      std::size_t crlf = body.find("\r\n");
      if (crlf == std::string_view::npos || crlf == 0) return "chunk size line";
      std::string_view size_text = body.substr(0, crlf);
      if (!std::all_of(size_text.begin(), size_text.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
        return "chunk size line";
      std::size_t size = std::stoul(std::string(size_text), nullptr, 16);
      body.remove_prefix(crlf + 2);
      if (size == 0) return body == "\r\n" ? "" : "bytes after the last chunk";
      if (body.size() < size + 2 || body.substr(size, 2) != "\r\n") return "chunk data";
      body.remove_prefix(size + 2);
    }
  }
  if (body.size() != length) return "body length differs from Content-Length";
  return {};
}

// What one mode did with the cases of one expected tier.
struct Tally {
  int cases = 0;
  int forwarded_open = 0;         // forwarded, both connections kept
  int forwarded_then_closed = 0;  // forwarded, then client and target connections closed
  std::map<int, int> refused;     // by status
};

struct ModeRun {
  std::string mode;
  bool drop_invalid_header_fields = false;
  std::map<Tier, Tally> tallies;  // by the reference's tier
  std::map<Reason, int> deviations;
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const std::string kOkHead = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";

void replay(const std::vector<ConformanceCase>& cases, ModeRun& run) {
  ScriptedTarget target([](std::size_t, const std::string& request) {
    return ScriptedTarget::Reply{request.starts_with("HEAD ") ? kOkHead : kOk, false};
  });
  // One worker: the target connection a case leaves pooled is the one the next exchange uses.
  AlbatrossProcess albatross(
      ConfigText()
          .threads(1)
          .admin()
          .global("desync_mitigation_mode = \"" + run.mode + "\"\n" +
                  "drop_invalid_header_fields = " +
                  (run.drop_invalid_header_fields ? "true" : "false") +
                  "\naccess_log = \"stderr\"\naccess_log_format = \"json\"")
          .listener("web", "app")
          .target_group("app", {target.port()}, "keepalive_timeout = \"60s\"")
          .str());
  albatross.start();
  const std::uint16_t port = albatross.port("web");
  const std::string label =
      run.mode + (run.drop_invalid_header_fields ? " (drop_invalid_header_fields)" : "");
  const bool defensive = run.mode == "defensive";
  const bool strictest = run.mode == "strictest";

  std::map<Tier, int> by_tier;
  std::map<Reason, int> by_reason;
  int dropped = 0, forwarded_invalid = 0;
  for (const ConformanceCase& c : cases) {
    INFO("mode " << label << ", " << c.file << ": " << c.name);
    const std::string wire = c.wire();
    CAPTURE(wire);
    const Judgement judged = judge(wire, run.drop_invalid_header_fields, run.mode == "monitor");
    const Tier reference = tier_named(c.tier);
    if (const Deviation* d = deviation_for(judged.reason, judged.tier, reference)) {
      ++run.deviations[d->reason];
    } else {
      CHECK(http::tier_name(judged.tier) == http::tier_name(reference));
    }
    if (judged.tier != Tier::compliant) {
      ++by_tier[judged.tier];
      ++by_reason[judged.reason];
    }
    if (judged.parsed && judged.invalid_names_dropped) ++dropped;
    if (judged.parsed && judged.invalid_names_forwarded) ++forwarded_invalid;

    const bool refused =
        judged.tier == Tier::severe || (strictest && judged.tier != Tier::compliant);
    const bool close_after = !refused && defensive && judged.tier == Tier::ambiguous;
    const int status = judged.tier == Tier::severe ? judged.refusal_status : 400;
    const bool is_head = c.method == "HEAD";
    const std::size_t requests_before = target.requests();

    HttpClient client(port);
    client.connect();
    REQUIRE(client.send(wire + (refused ? std::string() : body_for(c)), after(seconds(5))));
    auto response = client.read_response(after(seconds(5)), {.head_request = is_head});
    INFO("client: " << client.error());
    REQUIRE(response);
    Tally& tally = run.tallies[reference];
    ++tally.cases;
    std::size_t case_connection = SIZE_MAX;
    if (refused) {
      CHECK(response->status == status);
      CHECK(response->connection_close());
      CHECK(client.wait_closed(after(seconds(5))));
      CHECK(client.unexpected().empty());
      CHECK(target.requests() == requests_before);
      ++tally.refused[response->status];
    } else {
      CHECK(response->status == 200);
      REQUIRE(target.requests() == requests_before + 1);
      const std::string forwarded = target.requests_seen()[requests_before];
      case_connection = target.request_connections()[requests_before];
      CAPTURE(forwarded);
      CHECK(why_unclean(forwarded, run.drop_invalid_header_fields) == "");
      if (close_after) {
        CHECK(response->connection_close());
        CHECK(client.wait_closed(after(seconds(5))));
        CHECK(
            wait_until([&] { return target.closed_by_peer(case_connection); }, after(seconds(5))));
        ++tally.forwarded_then_closed;
      } else {
        // HTTP/1.1 clients keep their connection; 1.0 and 0.9 ones are closed after the
        // response as usual, which is no desync measure.
        if (c.version == "HTTP/1.1") CHECK_FALSE(response->connection_close());
        CHECK_FALSE(target.closed_by_peer(case_connection));
        ++tally.forwarded_open;
      }
    }

    // A compliant probe: over the same client connection when it is open, and over the pooled
    // target connection when the case left it open. Once it has arrived, everything albatross
    // sent before it has arrived too: every byte the target got belongs to a request it framed.
    HttpClient fresh(port);
    HttpClient& prober = !response->connection_close() && !client.server_closed() ? client : fresh;
    HttpResponse probe = prober.get("/probe");
    CHECK(probe.status == 200);
    std::vector<std::string> seen = target.requests_seen();
    REQUIRE(seen.size() == target.requests());
    CHECK(seen.back().starts_with("GET /probe HTTP/1.1\r\n"));
    std::size_t framed = 0;
    for (const std::string& r : seen)
      framed += r.size();
    CHECK(target.bytes_received() == framed);
    if (case_connection != SIZE_MAX) {
      std::size_t probe_connection = target.request_connections().back();
      if (close_after) {
        CHECK(probe_connection != case_connection);
      } else {
        CHECK(probe_connection == case_connection);
      }
    }
  }

  // Every classified request is counted by tier and reason, and its access-log line says so.
  MetricsText metrics = AdminClient(albatross.admin_port()).metrics();
  for (Tier t : {Tier::acceptable, Tier::ambiguous, Tier::severe}) {
    CAPTURE(http::tier_name(t));
    CHECK(metrics.value("albatross_desync_requests_total",
                        {{"listener", "web"}, {"tier", std::string(http::tier_name(t))}}) ==
          by_tier[t]);
    std::string field = "\"classification\":\"" + std::string(http::tier_name(t)) + "\"";
    auto logged = [&] {
      std::string log = albatross.stderr_text();
      int n = 0;
      for (std::size_t at = log.find(field); at != std::string::npos; at = log.find(field, at + 1))
        ++n;
      return n;
    };
    CHECK(wait_until([&] { return logged() == by_tier[t]; }, after(seconds(5))));
    CAPTURE(logged());
  }
  for (const auto& [reason, count] : by_reason) {
    CAPTURE(http::reason_name(reason));
    CHECK(metrics.value("albatross_desync_requests_total",
                        {{"reason", std::string(http::reason_name(reason))}}) == count);
  }
  CHECK(metrics.value("albatross_invalid_header_requests_total", {{"action", "dropped"}}) ==
        dropped);
  CHECK(metrics.value("albatross_invalid_header_requests_total", {{"action", "forwarded"}}) ==
        forwarded_invalid);
  if (run.drop_invalid_header_fields) {
    CHECK(dropped > 0);
  } else {
    CHECK(forwarded_invalid > 0);
  }
}

std::string table(const std::vector<ModeRun>& runs) {
  std::ostringstream out;
  out << "http-desync-guardian replay: what reached the target, per mode and reference tier\n";
  for (const ModeRun& run : runs) {
    out << "\nmode " << run.mode
        << (run.drop_invalid_header_fields ? ", drop_invalid_header_fields = true" : "") << "\n";
    out << "  tier        cases  forwarded  forwarded+closed  refused (status: count)\n";
    for (Tier t : {Tier::compliant, Tier::acceptable, Tier::ambiguous, Tier::severe}) {
      auto it = run.tallies.find(t);
      Tally tally = it == run.tallies.end() ? Tally{} : it->second;
      char line[128];
      std::snprintf(line, sizeof line, "  %-10s  %5d  %9d  %16d  ", http::tier_name(t).data(),
                    tally.cases, tally.forwarded_open, tally.forwarded_then_closed);
      out << line;
      int refused = 0;
      std::ostringstream statuses;
      for (const auto& [status, n] : tally.refused) {
        refused += n;
        statuses << (statuses.tellp() > 0 ? ", " : "") << status << ": " << n;
      }
      out << refused;
      if (!tally.refused.empty()) out << " (" << statuses.str() << ")";
      out << "\n";
    }
  }
  out << "\nDeviations from the reference tier (stricter), cases per mode (monitor):\n";
  for (const Deviation& d : kDeviations)
    out << "  " << http::reason_name(d.reason) << " (" << http::tier_name(d.tier)
        << "): " << d.cases << " (" << d.monitor_cases << ") — " << d.why << "\n";
  return out.str();
}

TEST_CASE("the YAML subset reader: escapes, quoting, nesting, comments") {
  YamlNode root = parse_yaml_subset(
      "# comment\n"
      "- name: 'it''s'\n"
      "  uri: /a\\t/b  # plain, the backslash kept\n"
      "  version: \"\"\n"
      "  headers:\n"
      "    - name: \"X\\x01\\t\\r\\n\\0\\\"\\\\\"\n"
      "      value: 1000\n"
      "    - name: Empty\n"
      "      value:\n"
      "  expected:\n"
      "    tier: Severe\n"
      "    required_message_items:\n"
      "      - \"a\"\n"
      "      - b\n");
  REQUIRE(root.kind == YamlNode::Kind::sequence);
  REQUIRE(root.items.size() == 1);
  const YamlNode& c = root.items[0];
  CHECK(c.text("name") == "it's");
  CHECK(c.text("uri") == "/a\\t/b");
  CHECK(c.text("version").empty());
  const YamlNode* headers = c.find("headers");
  REQUIRE(headers);
  REQUIRE(headers->items.size() == 2);
  CHECK(headers->items[0].text("name") == std::string("X\x01\t\r\n\0\"\\", 8));
  CHECK(headers->items[0].text("value") == "1000");
  CHECK(headers->items[1].find("value")->kind == YamlNode::Kind::null);
  const YamlNode* expected = c.find("expected");
  REQUIRE(expected);
  CHECK(expected->text("tier") == "Severe");
  CHECK(expected->find("required_message_items")->items.size() == 2);
  CHECK_THROWS(parse_yaml_subset("- name: \"open\n"));
  CHECK_THROWS(parse_yaml_subset("- name: [a, b]\n"));
  CHECK_THROWS(parse_yaml_subset("- name: a\n      bad: indentation\n"));
}

TEST_CASE("the http-desync-guardian suite replayed through albatross in every mode") {
  const std::vector<ConformanceCase> cases = load_conformance_cases(kCaseDirectory);
  REQUIRE(cases.size() == kCaseCount);
  std::map<std::string, int> reference;
  for (const ConformanceCase& c : cases)
    ++reference[c.tier];
  CHECK(reference["Compliant"] == 28);
  CHECK(reference["Acceptable"] == 15);
  CHECK(reference["Ambiguous"] == 57);
  CHECK(reference["Severe"] == 58);

  std::vector<ModeRun> runs = {{"monitor"}, {"defensive"}, {"strictest"}, {"defensive", true}};
  for (ModeRun& run : runs) {
    replay(cases, run);
    // Each deviation covers exactly the cases it is known to: a new one shows here.
    for (const Deviation& d : kDeviations) {
      CAPTURE(run.mode);
      CAPTURE(http::reason_name(d.reason));
      CHECK(run.deviations[d.reason] == (run.mode == "monitor" ? d.monitor_cases : d.cases));
    }
  }
  std::string report = table(runs);
  std::cout << report << std::flush;
  MESSAGE(report);
}

}  // namespace
}  // namespace albatross::testing
