#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace albatross::testing {

// One classified request of the http-desync-guardian suite (tests/conformance/
// http-desync-guardian/FORMAT.md): the request's parts as the YAML gives them and the tier and
// reason the reference implementation assigns. Thread: a value.
struct ConformanceCase {
  std::string file;  // "severe.yaml"
  std::string name;
  std::string method;
  std::string uri;
  std::string version;  // may be empty (HTTP/0.9 style)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string tier;  // expected: Compliant | Acceptable | Ambiguous | Severe
  std::string reason;

  // Whether a field is named Host (exactly, case-insensitively).
  bool has_host() const;
  // The request on the wire: "METHOD SP URI [SP VERSION] CRLF" (no SP when the version is empty,
  // as an HTTP/0.9 simple request), "name: value CRLF" per header in order, "Host: localhost
  // CRLF" last when no field is named Host (an HTTP/1.1 request without one is refused as
  // Severe, which would hide what the case is about), then CRLF.
  std::string wire() const;
};

// Every case of every *.yaml file in `directory`, files in name order, cases in file order.
// Throws on a file outside the YAML subset or a case missing a required key.
std::vector<ConformanceCase> load_conformance_cases(const std::string& directory);

}  // namespace albatross::testing
