// The access log, in ALB's format and in JSON: one line per forwarded exchange, per response
// albatross generated (502, 503, 400 for a smuggling attempt) and per request refused before it
// parsed, each with the client, target, status codes, byte counts, request line, request id and
// the desync classification; and SIGUSR1 after the file was renamed (logrotate) sends new lines
// to a new file without losing any.
#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;
namespace json = boost::json;

// A private directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/albatross-log-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// Waits until `path` holds at least `n` lines (the writer batches them for up to 200 ms).
std::vector<std::string> wait_lines(const std::string& path, std::size_t n) {
  std::vector<std::string> lines;
  wait_until([&] { return (lines = read_lines(path)).size() >= n; }, after(seconds(5)));
  return lines;
}

// The fields of one ALB-format line, in order: bare words and "quoted strings" (backslash
// escapes inside), separated by single spaces.
std::vector<std::string> split_alb(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    std::string field;
    if (line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        field.push_back(line[i++]);
      }
      ++i;  // closing quote
    } else {
      while (i < line.size() && line[i] != ' ')
        field.push_back(line[i++]);
    }
    fields.push_back(field);
    if (i < line.size() && line[i] != ' ') return {};  // garbage after a quoted field
    ++i;
  }
  return fields;
}

// ALB's field order as albatross writes it, under the JSON format's names.
const std::vector<std::string> kAlbFields = {"type",
                                             "time",
                                             "listener",
                                             "client",
                                             "target",
                                             "request_processing_time",
                                             "target_processing_time",
                                             "response_processing_time",
                                             "status",
                                             "target_status",
                                             "received_bytes",
                                             "sent_bytes",
                                             "request",
                                             "user_agent",
                                             "tls_cipher",
                                             "tls_protocol",
                                             "target_group",
                                             "request_id",
                                             "sni",
                                             "matched_rule_priority",
                                             "request_creation_time",
                                             "actions_executed",
                                             "redirect_url",
                                             "error_reason",
                                             "classification",
                                             "classification_reason"};

using Record = std::map<std::string, std::string>;

// One line as field name -> text; the JSON format's empty strings and zero target status read
// as the ALB format's "-".
Record parse_line(const std::string& line, bool json_format) {
  Record record;
  if (!json_format) {
    std::vector<std::string> fields = split_alb(line);
    REQUIRE_MESSAGE(fields.size() == kAlbFields.size(), line);
    for (std::size_t i = 0; i < fields.size(); ++i)
      record[kAlbFields[i]] = fields[i];
    return record;
  }
  boost::system::error_code ec;
  json::value value = json::parse(line, ec);
  REQUIRE_MESSAGE(!ec, line);
  REQUIRE_MESSAGE(value.is_object(), line);
  for (const auto& [key, v] : value.as_object()) {
    std::string text;
    if (v.is_string()) {
      text = std::string(v.as_string());
    } else if (v.is_int64()) {
      text = std::to_string(v.as_int64());
    } else if (v.is_uint64()) {
      text = std::to_string(v.as_uint64());
    } else if (v.is_double()) {
      text = std::to_string(v.as_double());
    } else {
      FAIL("unexpected JSON value in " << line);
    }
    record[std::string(key)] = text.empty() ? "-" : text;
  }
  if (record["target_status"] == "0") record["target_status"] = "-";
  for (const std::string& name : kAlbFields)
    CHECK_MESSAGE(record.contains(name), name << " missing in " << line);
  return record;
}

// Sends `bytes` on a new connection and reads one response.
HttpResponse exchange_raw(std::uint16_t port, const std::string& bytes) {
  HttpClient client(port);
  client.connect();
  REQUIRE(client.send(bytes, after(seconds(5))));
  auto response = client.read_response(after(seconds(10)));
  REQUIRE(response);
  return *response;
}

void check_access_log(std::string_view format) {
  const bool json_format = format == "json";
  Targets targets({"a", "gone"});
  targets.stop(1);  // connects to it are refused: 502
  TempDir dir;
  const std::string log_path = dir.file("access.log");
  AlbatrossProcess albatross(ConfigText()
                                 .admin("127.0.0.1:0")
                                 .global("access_log = \"" + log_path +
                                         "\"\naccess_log_format = \"" + std::string(format) + "\"")
                                 .listener("web", "app")
                                 .listener("dead", "dead")
                                 .listener("drained", "drained")
                                 .target_group("app", {targets.port(0)})
                                 .target_group("dead", {targets.port(1)})
                                 .target_group("drained", {targets.port(0)})
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  REQUIRE(admin.post("/targets/drain", "target_group=drained&target=" + loopback(targets.port(0)))
              .status == 200);
  const std::uint16_t web = albatross.port("web");
  const std::string web_host = loopback(web);
  const std::string a = loopback(targets.port(0));

  const std::string normal = "GET /hello?x=1 HTTP/1.1\r\nHost: " + web_host +
                             "\r\nUser-Agent: access-test/1.0\r\nX-Request-Id: req-123\r\n\r\n";
  HttpResponse normal_response = exchange_raw(web, normal);
  CHECK(normal_response.status == 200);
  CHECK(exchange_raw(web, "GET /unnamed HTTP/1.1\r\nHost: " + web_host + "\r\n\r\n").status == 200);
  CHECK(exchange_raw(albatross.port("dead"), "GET /d HTTP/1.1\r\nHost: x\r\n\r\n").status == 502);
  CHECK(exchange_raw(albatross.port("drained"), "GET /n HTTP/1.1\r\nHost: x\r\n\r\n").status ==
        503);
  // Severe (smuggling): 400 and closed. Acceptable and Ambiguous: forwarded (defensive mode).
  CHECK(exchange_raw(web,
                     "GET /smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: "
                     "2\r\n\r\nab")
            .status == 400);
  CHECK(exchange_raw(web, "GET /v12 HTTP/1.2\r\nHost: x\r\n\r\n").status == 200);
  CHECK(
      exchange_raw(web, "GET /lookalike HTTP/1.1\r\nHost: x\r\nTransfer_Encoding: chunked\r\n\r\n")
          .status == 200);
  // Refused before it parsed: a bare LF ending a field line, and a field line over the limit.
  CHECK(exchange_raw(web, "GET /lf HTTP/1.1\r\nHost: x\nX-After: y\r\n\r\n").status == 400);
  CHECK(exchange_raw(
            web, "GET /big HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'b') + "\r\n\r\n")
            .status == 431);

  std::vector<std::string> lines = wait_lines(log_path, 9);
  REQUIRE(lines.size() == 9);
  std::vector<Record> records;
  for (const std::string& line : lines)
    records.push_back(parse_line(line, json_format));
  auto find = [&](std::string_view status, std::string_view request_part) -> const Record& {
    for (const Record& r : records) {
      if (r.at("status") == status && r.at("request").find(request_part) != std::string::npos)
        return r;
    }
    FAIL("no line with status " << status << " and request " << request_part);
    static const Record kNone;
    return kNone;
  };
  for (const Record& r : records) {
    CHECK(r.at("type") == "http");
    CHECK(r.at("client").starts_with("127.0.0.1:"));
    CHECK(std::stoi(r.at("client").substr(10)) > 0);
    CHECK(r.at("time").ends_with("Z"));
    CHECK(r.at("request_creation_time").ends_with("Z"));
    CHECK(std::stoull(r.at("received_bytes")) > 0);
    CHECK(std::stoull(r.at("sent_bytes")) > 0);
  }

  const Record& ok = find("200", "/hello?x=1");
  CHECK(ok.at("listener") == "web");
  CHECK(ok.at("target") == a);
  CHECK(ok.at("target_status") == "200");
  CHECK(ok.at("request") == "GET http://" + web_host + "/hello?x=1 HTTP/1.1");
  CHECK(ok.at("user_agent") == "access-test/1.0");
  CHECK(ok.at("request_id") == "req-123");
  CHECK(ok.at("target_group") == "app");
  CHECK(ok.at("actions_executed") == "forward");
  CHECK(ok.at("redirect_url") == "-");
  CHECK(ok.at("matched_rule_priority") == "0");
  CHECK(ok.at("classification") == "-");
  CHECK(ok.at("classification_reason") == "-");
  CHECK(std::stoull(ok.at("received_bytes")) == normal.size());
  CHECK(std::stoull(ok.at("sent_bytes")) > normal_response.body.size());
  // Seconds: ALB writes -1 for a phase that did not happen (each did here), and none can have
  // taken longer than the test's own 10 s bound on the exchange.
  for (const char* phase :
       {"request_processing_time", "target_processing_time", "response_processing_time"}) {
    CAPTURE(phase);
    double seconds = std::stod(ok.at(phase));
    CHECK(seconds >= 0);
    CHECK(seconds < 10.0);
  }

  // A request without X-Request-Id is logged under the id albatross generated.
  const Record& unnamed = find("200", "/unnamed");
  CHECK(unnamed.at("request_id").size() >= 16);
  CHECK(unnamed.at("request_id") != "-");

  const Record& bad_gateway = find("502", "/d ");
  CHECK(bad_gateway.at("listener") == "dead");
  CHECK(bad_gateway.at("target_status") == "-");
  CHECK(bad_gateway.at("target_group") == "dead");
  CHECK(std::stod(bad_gateway.at("target_processing_time")) == -1);

  const Record& unavailable = find("503", "/n ");
  CHECK(unavailable.at("listener") == "drained");
  CHECK(unavailable.at("target") == "-");
  CHECK(unavailable.at("target_status") == "-");
  CHECK(unavailable.at("target_group") == "drained");

  const Record& smuggle = find("400", "/smuggle");
  CHECK(smuggle.at("target") == "-");
  CHECK(smuggle.at("classification") == "Severe");
  CHECK(smuggle.at("classification_reason") == "MultipleContentLength");

  const Record& version = find("200", "/v12 ");
  CHECK(version.at("target") == a);
  CHECK(version.at("classification") == "Acceptable");
  CHECK(version.at("classification_reason") == "NonCompliantVersion");

  const Record& lookalike = find("200", "/lookalike");
  CHECK(lookalike.at("classification") == "Ambiguous");
  CHECK(lookalike.at("classification_reason") == "SuspiciousHeader");

  // Refused heads have no request line to show.
  int refused = 0;
  for (const Record& r : records) {
    if (r.at("request") != "- - -") continue;
    ++refused;
    CHECK(r.at("target") == "-");
    if (r.at("status") == "400") {
      CHECK(r.at("classification") == "Severe");
      CHECK(r.at("classification_reason") == "BadHeader");
    } else {
      CHECK(r.at("status") == "431");
    }
  }
  CHECK(refused == 2);
}

TEST_CASE("the access log in ALB's format: forwarded, generated and refused requests") {
  check_access_log("alb");
}

TEST_CASE("the access log as JSON lines: the same fields") {
  check_access_log("json");
}

TEST_CASE("SIGUSR1 after the access log was renamed: new lines go to a new file, none is lost") {
  Targets targets({"a"});
  TempDir dir;
  const std::string log_path = dir.file("access.log");
  const std::string rotated = dir.file("access.log.1");
  AlbatrossProcess albatross(ConfigText()
                                 .global("access_log = \"" + log_path + "\"")
                                 .listener("web", "app")
                                 .target_group("app", targets.ports())
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  int sent = 0;
  auto send_one = [&] {
    ++sent;
    std::string id = "Request-Id: r" + std::to_string(sent) + "\r\n";
    REQUIRE(client.request("GET", "/", "X-" + id).status == 200);
  };

  send_one();
  REQUIRE(wait_lines(log_path, 1).size() == 1);
  fs::rename(log_path, rotated);
  // Until the signal the open file, now named access.log.1, keeps receiving lines.
  send_one();
  REQUIRE(wait_lines(rotated, 2).size() == 2);
  CHECK(!fs::exists(log_path));

  albatross.send_signal(SIGUSR1);
  REQUIRE(albatross.wait_for_log("access log reopened: " + log_path, after(seconds(5))));
  send_one();
  send_one();
  REQUIRE(wait_lines(log_path, 2).size() == 2);
  std::vector<std::string> old_lines = read_lines(rotated);
  std::vector<std::string> new_lines = read_lines(log_path);
  auto ids_of = [](const std::vector<std::string>& lines) {
    std::vector<std::string> ids;
    for (const std::string& line : lines) {
      std::vector<std::string> fields = split_alb(line);
      REQUIRE(fields.size() == kAlbFields.size());
      ids.push_back(fields[17]);
    }
    return ids;
  };
  CHECK(ids_of(old_lines) == std::vector<std::string>{"r1", "r2"});
  CHECK(ids_of(new_lines) == std::vector<std::string>{"r3", "r4"});
  CHECK(albatross.log_count("access log reopened: ") == 1);
}

TEST_CASE("a reload switches the access log's format, file, and off") {
  Targets targets({"a"});
  TempDir dir;
  const std::string first = dir.file("first.log");
  const std::string second = dir.file("second.log");
  auto config = [&](std::string_view global) {
    return ConfigText()
        .global(global)
        .listener("web", "app")
        .target_group("app", targets.ports())
        .str();
  };
  AlbatrossProcess albatross(config("access_log = \"" + first + "\""));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  auto send = [&](std::string_view id) {
    REQUIRE(client.request("GET", "/", "X-Request-Id: " + std::string(id) + "\r\n").status == 200);
  };
  send("alb-1");
  albatross.rewrite_config(config("access_log = \"" + first + "\"\naccess_log_format = \"json\""));
  REQUIRE(albatross.reload());
  send("json-1");
  albatross.rewrite_config(config("access_log = \"" + second + "\""));
  REQUIRE(albatross.reload());
  send("alb-2");
  albatross.rewrite_config(config("access_log = \"off\""));
  REQUIRE(albatross.reload());
  send("none");
  albatross.rewrite_config(config("access_log = \"" + second + "\""));
  REQUIRE(albatross.reload());
  send("alb-3");

  std::vector<std::string> in_first = wait_lines(first, 2);
  std::vector<std::string> in_second = wait_lines(second, 2);
  REQUIRE(in_first.size() == 2);
  REQUIRE(in_second.size() == 2);
  CHECK(parse_line(in_first[0], false).at("request_id") == "alb-1");
  CHECK(parse_line(in_first[1], true).at("request_id") == "json-1");
  CHECK(parse_line(in_second[0], false).at("request_id") == "alb-2");
  CHECK(parse_line(in_second[1], false).at("request_id") == "alb-3");
}

}  // namespace
}  // namespace albatross::testing
