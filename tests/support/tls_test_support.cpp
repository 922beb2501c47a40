#include "support/tls_test_support.hpp"
#include "support/wait.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace albatross::testing {
namespace {

constexpr auto kIoTimeout = std::chrono::seconds(5);

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  set_timeouts(fd, kIoTimeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads from `fd` into `out` until EOF or `deadline`; false on timeout.
bool read_until_eof(int fd, std::string& out, TlsClock::time_point deadline) {
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - TlsClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "connection closed";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  // A longer interval than wait_until's default: most conditions here cost a TLS connection.
  return wait_until(condition, after(timeout), std::chrono::milliseconds(20));
}

CheckResult run_albatross_check(const std::string& config_path) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ::execl(ALBATROSS_BINARY, "albatross", "--check", "--config", config_path.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  CheckResult result;
  read_until_eof(pipe_fds[0], result.output, TlsClock::now() + std::chrono::seconds(30));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TlsDaemon::TlsDaemon(const std::string& config_path) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(pipe_fds[1], 2);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execl(ALBATROSS_BINARY, "albatross", "--config", config_path.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  stderr_fd_ = pipe_fds[0];
  reader_ = std::thread([this] {
    char buffer[4096];
    for (;;) {
      ssize_t n = ::read(stderr_fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      std::lock_guard lock(mutex_);
      log_.append(buffer, static_cast<std::size_t>(n));
    }
  });
  bool started = eventually([this] { return log().find(" started: ") != std::string::npos; },
                            std::chrono::seconds(10));
  std::string text = log();
  if (!started) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    reader_.join();
    ::close(stderr_fd_);
    throw std::runtime_error("albatross did not start:\n" + text);
  }
  static const std::regex listener_line(R"(listener (\S+) listening on \S+:(\d+))");
  static const std::regex admin_line(R"(admin endpoint listening on \S+:(\d+))");
  for (std::sregex_iterator it(text.begin(), text.end(), listener_line), end; it != end; ++it)
    ports_[(*it)[1]] = static_cast<std::uint16_t>(std::stoi((*it)[2]));
  std::smatch admin;
  if (std::regex_search(text, admin, admin_line))
    admin_port_ = static_cast<std::uint16_t>(std::stoi(admin[1]));
}

TlsDaemon::~TlsDaemon() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  bool exited = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                           std::chrono::seconds(10));
  if (!exited) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  if (reader_.joinable()) reader_.join();
  ::close(stderr_fd_);
  // A graceful stop, and nothing the sanitizers of an ASan/UBSan build reported.
  std::string text = log();
  bool clean = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
               text.find("Sanitizer") == std::string::npos &&
               text.find("runtime error:") == std::string::npos;
  CHECK_MESSAGE(clean, "albatross did not stop cleanly:\n", text);
}

std::uint16_t TlsDaemon::port(const std::string& listener) const {
  auto it = ports_.find(listener);
  if (it == ports_.end()) throw std::runtime_error("no listener " + listener);
  return it->second;
}

bool TlsDaemon::reload(const std::string& text) {
  auto count = [&] {
    std::string current = log();
    std::size_t n = 0;
    for (auto at = current.find(text); at != std::string::npos; at = current.find(text, at + 1))
      ++n;
    return n;
  };
  std::size_t before = count();
  ::kill(pid_, SIGHUP);
  return eventually([&] { return count() > before; }, std::chrono::seconds(10));
}

std::string TlsDaemon::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

std::string http_get(std::uint16_t port, const std::string& path) {
  int fd = connect_loopback(port);
  if (fd < 0) return {};
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string response;
  if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()))
    read_until_eof(fd, response, TlsClock::now() + kIoTimeout);
  ::close(fd);
  return response;
}

double metric_value(const std::string& metrics_text, const std::string& series) {
  std::istringstream in(metrics_text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

TlsClientResult tls_request(std::uint16_t port, const TlsClientOptions& options,
                            const std::string& request) {
  TlsClientResult result;
  auto started = TlsClock::now();
  int fd = connect_loopback(port);
  if (fd < 0) {
    result.error = "connect failed";
    return result;
  }
  if (options.send_nothing) {
    std::string ignored;
    result.closed_by_server = read_until_eof(fd, ignored, started + std::chrono::seconds(10));
    result.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(TlsClock::now() - started);
    ::close(fd);
    return result;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  if (options.security_level >= 0) SSL_CTX_set_security_level(ctx, options.security_level);
  if (options.min_version != 0) SSL_CTX_set_min_proto_version(ctx, options.min_version);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(ctx, options.max_version);
  if (!options.ciphers.empty()) SSL_CTX_set_cipher_list(ctx, options.ciphers.c_str());
  if (!options.sigalgs.empty()) SSL_CTX_set1_sigalgs_list(ctx, options.sigalgs.c_str());
  static const unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  if (!options.client_certificate_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(options.client_certificate_pem.data(),
                               static_cast<int>(options.client_certificate_pem.size()));
    X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    STACK_OF(X509)* chain = sk_X509_new_null();
    while (X509* next = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr))
      sk_X509_push(chain, next);
    BIO_free(bio);
    bio = BIO_new_mem_buf(options.client_key_pem.data(),
                          static_cast<int>(options.client_key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ERR_clear_error();
    SSL_CTX_use_cert_and_key(ctx, leaf, key, chain, 1);
    X509_free(leaf);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
  }
  SSL_CTX_set_info_callback(ctx, [](const SSL* s, int where, int value) {
    if ((where & SSL_CB_READ_ALERT) != 0 && (value >> 8) == SSL3_AL_FATAL) {
      auto* alert = static_cast<int*>(SSL_get_app_data(s));
      if (alert != nullptr) *alert = value & 0xff;
    }
  });
  SSL* ssl = SSL_new(ctx);
  SSL_set_app_data(ssl, &result.alert_received);
  SSL_set_fd(ssl, fd);
  if (options.request_ocsp) SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
  if (!options.server_name.empty()) SSL_set_tlsext_host_name(ssl, options.server_name.c_str());
  if (options.resume != nullptr) SSL_set_session(ssl, options.resume);
  ERR_clear_error();
  if (SSL_connect(ssl) == 1) {
    result.handshake_ok = true;
    result.version = SSL_version(ssl);
    result.resumed = SSL_session_reused(ssl) == 1;
    const unsigned char* alpn = nullptr;
    unsigned alpn_length = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
    result.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
    const unsigned char* ocsp = nullptr;
    long ocsp_length = SSL_get_tlsext_status_ocsp_resp(ssl, &ocsp);
    if (ocsp != nullptr && ocsp_length > 0)
      result.ocsp_response.assign(reinterpret_cast<const char*>(ocsp),
                                  static_cast<std::size_t>(ocsp_length));
    if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn);
      result.leaf_cn = cn;
      result.leaf_ecdsa = EVP_PKEY_is_a(X509_get0_pubkey(leaf), "EC");
      auto* sans = static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
      for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
        if (name->type != GEN_DNS) continue;
        result.leaf_dns_names.emplace_back(
            reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
            static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
      }
      GENERAL_NAMES_free(sans);
    }
    if (!request.empty()) {
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      char buffer[4096];
      auto deadline = TlsClock::now() + kIoTimeout;
      while (TlsClock::now() < deadline) {
        int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n <= 0) {
          result.close_notify = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN;
          break;
        }
        result.response.append(buffer, static_cast<std::size_t>(n));
      }
    }
    SSL_shutdown(ssl);  // a session closed without close_notify would not be resumable
    result.session.reset(SSL_get1_session(ssl), SSL_SESSION_free);
  } else {
    result.error = openssl_error();
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(TlsClock::now() - started);
  return result;
}

TlsEchoTarget::TlsEchoTarget(const std::string& certificate_pem,
                             const std::string& private_key_pem) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr || key == nullptr || SSL_CTX_use_certificate(ctx_, cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx_, key) != 1) {
    throw std::runtime_error("TlsEchoTarget: bad certificate");
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("TlsEchoTarget: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsEchoTarget::~TlsEchoTarget() {
  stop();
  SSL_CTX_free(ctx_);
}

void TlsEchoTarget::stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_)
      ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& worker : workers_)
    worker.join();
}

void TlsEchoTarget::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_timeouts(fd, kIoTimeout);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void TlsEchoTarget::serve(int fd) {
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    ++handshakes_;
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::string in;
    char buffer[4096];
    for (;;) {
      auto end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string body = std::string("sni=") + (name ? name : "-") + "\n" + in.substr(0, end + 4);
        in.erase(0, end + 4);
        std::string response =
            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        if (SSL_write(ssl, response.data(), static_cast<int>(response.size())) <= 0) break;
        continue;
      }
      int n = SSL_read(ssl, buffer, sizeof buffer);
      if (n <= 0) break;
      in.append(buffer, static_cast<std::size_t>(n));
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  std::lock_guard lock(mutex_);
  std::erase(fds_, fd);
  ::close(fd);
}

}  // namespace albatross::testing
