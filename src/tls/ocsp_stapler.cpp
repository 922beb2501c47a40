#include "albatross/tls/ocsp_stapler.hpp"

#include <openssl/evp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "albatross/common/ascii.hpp"
#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/common/wall_clock.hpp"

namespace albatross::tls {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

// "http://host[:port][/path]"; IPv6 literals in brackets.
std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() || !ascii::istarts_with(url, kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  HttpUrl out;
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) out.port = std::string(authority.substr(1));
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty()) return std::nullopt;
  for (char c : out.path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return std::nullopt;
  }
  return out;
}

std::string fingerprint_of(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

X509Ptr up_ref(X509* cert) {
  X509_up_ref(cert);
  return X509Ptr(cert);
}

// The body of a complete HTTP/1.x response read until the server closed: only a 200 counts.
std::optional<std::string_view> ok_body(std::string_view response) {
  if (!response.starts_with("HTTP/1.") || response.size() < 12 || response.substr(9, 3) != "200")
    return std::nullopt;
  auto end = response.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  return response.substr(end + 4);
}

}  // namespace

std::string_view ocsp_fetch_failure_name(OcspFetchFailure failure) {
  switch (failure) {
    case OcspFetchFailure::network:
      return "network";
    case OcspFetchFailure::http:
      return "http";
    case OcspFetchFailure::invalid:
      return "invalid";
    case OcspFetchFailure::revoked:
      return "revoked";
    case OcspFetchFailure::unknown:
      break;
  }
  return "unknown";
}

std::int64_t OcspSchedule::refresh_at_ms(std::int64_t now_ms, const OcspResponse& response) {
  std::int64_t next_ms = response.next_update * 1000;
  std::int64_t half = now_ms + (next_ms - now_ms) / 2;
  std::int64_t latest = next_ms - std::chrono::milliseconds(kExpiryMargin).count();
  std::int64_t at = std::min(half, latest);
  return std::max(at, now_ms + std::chrono::milliseconds(kMinRefresh).count());
}

std::chrono::seconds OcspSchedule::next_backoff(std::chrono::seconds backoff) {
  if (backoff < kFirstBackoff) return kFirstBackoff;
  return std::min(backoff * 2, kMaxBackoff);
}

// The sockets of one fetch, shared with its deadline timer's handler, which may run after the
// fetch coroutine ended.
struct OcspStapler::FetchState {
  explicit FetchState(const net::any_io_executor& executor)
      : resolver(executor), socket(executor), timer(executor) {}
  void cancel() {
    boost::system::error_code ignored;
    resolver.cancel();
    socket.close(ignored);
    timer.cancel();
  }
  tcp::resolver resolver;
  tcp::socket socket;
  net::steady_timer timer;
};

OcspStapler::OcspStapler(net::any_io_executor executor) : executor_(std::move(executor)) {}

std::shared_ptr<OcspStapler::Entry> OcspStapler::attach(const Certificate& cert,
                                                        std::string& problem) {
  std::string fingerprint = fingerprint_of(cert.leaf());
  if (auto it = entries_.find(fingerprint); it != entries_.end()) {
    if (auto entry = it->second.lock()) return entry;
  }
  std::string url = ocsp_responder_url(cert.leaf());
  if (url.empty()) {
    problem = "has no OCSP responder in its Authority Information Access: nothing to staple";
    return nullptr;
  }
  if (!parse_http_url(url)) {
    problem = str_cat("OCSP responder ", url, " is not an http:// URL: nothing to staple");
    return nullptr;
  }
  X509* issuer = find_issuer(cert.leaf(), cert.chain());
  if (issuer == nullptr) {
    problem =
        "has no issuer certificate in its file (the chain after the leaf): OCSP "
        "responses cannot be verified, nothing to staple";
    return nullptr;
  }
  auto entry = std::make_shared<Entry>();
  entry->leaf_ = up_ref(cert.leaf());
  entry->issuer_ = up_ref(issuer);
  entry->extra_.reset(sk_X509_new_null());
  for (int i = 0; i < sk_X509_num(cert.chain()); ++i)
    sk_X509_push(entry->extra_.get(), up_ref(sk_X509_value(cert.chain(), i)).release());
  entry->url_ = std::move(url);
  entry->label_ = cert.label();
  entry->request_der_ = ocsp_request_der(cert.leaf(), issuer);
  entries_[fingerprint] = entry;
  return entry;
}

void OcspStapler::poll(std::int64_t now_ms) {
  if (stopped_) return;
  std::erase_if(fetches_, [](const std::weak_ptr<FetchState>& f) { return f.expired(); });
  for (auto it = entries_.begin(); it != entries_.end();) {
    std::shared_ptr<Entry> entry = it->second.lock();
    if (!entry) {
      it = entries_.erase(it);
      continue;
    }
    ++it;
    if (entry->in_flight_ || now_ms < entry->next_attempt_ms_) continue;
    entry->in_flight_ = true;
    net::co_spawn(
        executor_, [self = shared_from_this(), entry]() { return self->fetch(entry); },
        net::detached);
  }
}

void OcspStapler::stop() {
  stopped_ = true;
  for (const auto& weak : fetches_) {
    if (auto fetch = weak.lock()) fetch->cancel();
  }
  fetches_.clear();
}

std::vector<OcspStapler::Status> OcspStapler::status() const {
  std::vector<Status> out;
  for (const auto& [fingerprint, weak] : entries_) {
    if (auto entry = weak.lock())
      out.push_back({entry->label_, entry->response(), entry->failures_});
  }
  return out;
}

void OcspStapler::record(Entry& entry, std::int64_t now_ms, const OcspCheck* check,
                         OcspFetchFailure failure) {
  entry.in_flight_ = false;
  if (check != nullptr && check->status == OcspStatus::good) {
    bool first = entry.response() == nullptr;
    entry.response_.store(check->response, std::memory_order_release);
    entry.backoff_ = std::chrono::seconds(0);
    entry.next_attempt_ms_ = OcspSchedule::refresh_at_ms(now_ms, *check->response);
    if (first)
      log::info("OCSP: stapling a response for certificate ", entry.label_, " from ", entry.url_);
    return;
  }
  ++entry.failures_[static_cast<std::size_t>(failure)];
  if (failure == OcspFetchFailure::revoked) {
    // Never staple a response for a revoked certificate; ask again at the normal pace.
    entry.response_.store(nullptr, std::memory_order_release);
    entry.next_attempt_ms_ = now_ms + std::chrono::milliseconds(OcspSchedule::kMaxBackoff).count();
    log::warn("OCSP: certificate ", entry.label_, " is REVOKED according to ", entry.url_,
              "; not stapling");
    return;
  }
  entry.backoff_ = OcspSchedule::next_backoff(entry.backoff_);
  entry.next_attempt_ms_ = now_ms + std::chrono::milliseconds(entry.backoff_).count();
  // One line per failure streak's doubling is enough: the first, then each at the longest backoff.
  if (entry.backoff_ == OcspSchedule::kFirstBackoff ||
      entry.backoff_ == OcspSchedule::kMaxBackoff) {
    std::shared_ptr<const OcspResponse> held = entry.response();
    log::warn("OCSP: fetching a response for certificate ", entry.label_, " from ", entry.url_,
              " failed (", ocsp_fetch_failure_name(failure),
              check != nullptr && !check->error.empty() ? str_cat(": ", check->error) : "",
              "); retrying in ", entry.backoff_.count(), "s",
              held ? "; the response held is stapled while valid" : "");
  }
}

awaitable<void> OcspStapler::fetch(std::shared_ptr<Entry> entry) {
  auto state = std::make_shared<FetchState>(executor_);
  fetches_.push_back(state);
  state->timer.expires_after(kFetchTimeout);
  state->timer.async_wait([weak = std::weak_ptr<FetchState>(state)](boost::system::error_code ec) {
    if (ec) return;
    if (auto s = weak.lock()) s->cancel();
  });
  std::optional<HttpUrl> url = parse_http_url(entry->url_);
  OcspFetchFailure failure = OcspFetchFailure::network;
  std::optional<OcspCheck> check;
  std::string response;
  if (url && !entry->request_der_.empty()) {
    auto [resolve_ec, endpoints] =
        co_await state->resolver.async_resolve(url->host, url->port, use_nothrow);
    boost::system::error_code ec = resolve_ec;
    if (!ec)
      std::tie(ec, std::ignore) =
          co_await net::async_connect(state->socket, endpoints, use_nothrow);
    if (!ec) {
      std::string request =
          str_cat("POST ", url->path, " HTTP/1.0\r\nHost: ", url->host,
                  url->port == "80" ? "" : str_cat(':', url->port),
                  "\r\nContent-Type: application/ocsp-request\r\nContent-Length: ",
                  entry->request_der_.size(), "\r\nConnection: close\r\n\r\n", entry->request_der_);
      std::tie(ec, std::ignore) =
          co_await net::async_write(state->socket, net::buffer(request), use_nothrow);
    }
    if (!ec) {
      // Until the responder closes (HTTP/1.0), within the size limit.
      auto buffer = net::dynamic_buffer(response, kMaxResponseSize + 1);
      std::tie(ec, std::ignore) = co_await net::async_read(state->socket, buffer, use_nothrow);
      if (ec == net::error::eof) ec = {};
    }
    if (!ec && response.size() > kMaxResponseSize) {
      failure = OcspFetchFailure::http;
    } else if (!ec) {
      std::optional<std::string_view> body = ok_body(response);
      if (!body) {
        failure = OcspFetchFailure::http;
      } else {
        check = check_ocsp_response(*body, entry->leaf_.get(), entry->issuer_.get(),
                                    entry->extra_.get(), unix_ms_now() / 1000);
        failure = check->status == OcspStatus::revoked   ? OcspFetchFailure::revoked
                  : check->status == OcspStatus::unknown ? OcspFetchFailure::unknown
                                                         : OcspFetchFailure::invalid;
      }
    }
  }
  state->cancel();
  if (stopped_) co_return;
  record(*entry, unix_ms_now(), check ? &*check : nullptr, failure);
}

}  // namespace albatross::tls
