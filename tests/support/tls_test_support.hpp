#pragma once

// Test-only helpers for the TLS integration tests: the real albatross binary as a child process,
// a blocking OpenSSL client, a small HTTPS target, and a plain HTTP GET for the admin endpoint.
// Every wait has a deadline; sockets carry receive/send timeouts so nothing blocks for long.

#include <openssl/ssl.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace albatross::testing {

using TlsClock = std::chrono::steady_clock;

// Polls `condition` until it holds (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// `albatross --check --config PATH`: its exit code and everything it printed.
struct CheckResult {
  int exit_code = -1;
  std::string output;
};
CheckResult run_albatross_check(const std::string& config_path);

// The albatross binary running `config_path`, started by the constructor (which throws with the
// log when it does not come up within 10 s) and stopped by the destructor (SIGTERM, then
// SIGKILL after 10 s), by PID. Its stderr is collected by a reader thread.
class TlsDaemon {
 public:
  explicit TlsDaemon(const std::string& config_path);
  ~TlsDaemon();
  TlsDaemon(const TlsDaemon&) = delete;
  TlsDaemon& operator=(const TlsDaemon&) = delete;

  std::uint16_t port(const std::string& listener) const;
  std::uint16_t admin_port() const { return admin_port_; }
  std::string log() const;
  // SIGHUP; true once the log reports the reload's outcome `text` (e.g. "configuration
  // reloaded") one more time than before.
  bool reload(const std::string& text = "configuration reloaded");

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::map<std::string, std::uint16_t> ports_;
  std::uint16_t admin_port_ = 0;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string log_;
};

// A plain HTTP/1.1 GET to 127.0.0.1:port with Connection: close; the whole response, or "" when
// the connection failed.
std::string http_get(std::uint16_t port, const std::string& path);

// The value of the metric line starting with `series` (name and labels exactly as exposed), or
// -1 when absent.
double metric_value(const std::string& metrics_text, const std::string& series);

struct TlsClientOptions {
  int min_version = 0;  // 0: OpenSSL's default
  int max_version = 0;
  int security_level = -1;  // -1: leave it; 0 lets TLS 1.0/1.1 be offered at all
  std::string ciphers;      // TLS 1.2 and below
  std::string sigalgs;      // e.g. "RSA+SHA256:rsa_pss_rsae_sha256" to refuse ECDSA
  std::string server_name;  // SNI; none when empty
  SSL_SESSION* resume = nullptr;
  bool send_nothing = false;  // connect and wait for the server to close, without a ClientHello
  // A client certificate (PEM chain, leaf first) and its key, presented when asked for.
  std::string client_certificate_pem;
  std::string client_key_pem;
  bool request_ocsp = false;  // status_request: ask for a stapled OCSP response
};

struct TlsClientResult {
  bool handshake_ok = false;
  std::string error;
  int version = 0;
  std::string leaf_cn;
  std::vector<std::string> leaf_dns_names;
  bool leaf_ecdsa = false;
  bool resumed = false;
  std::string alpn;
  std::string response;           // when a request was sent
  bool close_notify = false;      // the server ended the response with close_notify, not a bare FIN
  bool closed_by_server = false;  // send_nothing: the server closed the connection
  std::chrono::milliseconds elapsed{0};
  std::shared_ptr<SSL_SESSION> session;  // for resumption
  std::string ocsp_response;             // request_ocsp: the stapled DER response, "" for none
  // TLS 1.3 completes the client's handshake before the server has checked its certificate:
  // a refusal shows as an alert at the first read. The alert's description, 0 for none.
  int alert_received = 0;
};

// Connects to 127.0.0.1:port, handshakes with `options`, sends `request` when not empty and
// reads the response until the server closes, then closes with close_notify.
TlsClientResult tls_request(std::uint16_t port, const TlsClientOptions& options,
                            const std::string& request = {});

// An HTTPS app server on 127.0.0.1 (port 0): answers every request head with 200 and a body of
// "sni=<server name or ->\n" followed by the head it received; keep-alive. One thread per
// connection; stop() (or the destructor) closes everything and joins.
class TlsEchoTarget {
 public:
  TlsEchoTarget(const std::string& certificate_pem, const std::string& private_key_pem);
  ~TlsEchoTarget();
  TlsEchoTarget(const TlsEchoTarget&) = delete;
  TlsEchoTarget& operator=(const TlsEchoTarget&) = delete;

  std::uint16_t port() const { return port_; }
  int handshakes() const { return handshakes_.load(); }
  void stop();

 private:
  void accept_loop();
  void serve(int fd);

  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> handshakes_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> fds_;  // open connections, guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace albatross::testing
