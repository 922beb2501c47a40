#pragma once

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "albatross/common/coroutine.hpp"
#include "albatross/tls/certificate.hpp"
#include "albatross/tls/ocsp_response.hpp"
#include "albatross/tls/openssl_handles.hpp"

namespace albatross::tls {

// Why an OCSP fetch did not produce a staple: the `reason` label of
// albatross_tls_ocsp_fetch_failures_total.
enum class OcspFetchFailure : std::uint8_t {
  network,  // resolve, connect, send or receive failed, or the deadline passed
  http,     // not a 200 response, or one larger than kMaxResponseSize
  invalid,  // not a valid OCSP response for the certificate (signature, id, validity window)
  revoked,  // the responder says the certificate is revoked: nothing is stapled
  unknown,  // the responder does not know the certificate
};
inline constexpr std::size_t kOcspFetchFailureCount = 5;
std::string_view ocsp_fetch_failure_name(OcspFetchFailure failure);

// When the next fetch of a certificate's response is due, from the last outcome. Pure.
//  - after a good response: halfway between now and its nextUpdate, but at least one minute
//    before nextUpdate, and never sooner than kMinRefresh from now;
//  - after a failure: `backoff` from now (the caller doubles it from kFirstBackoff up to
//    kMaxBackoff), so a responder that is down is retried quickly at first, then every 5 min.
struct OcspSchedule {
  static constexpr std::chrono::seconds kMinRefresh{10};
  static constexpr std::chrono::seconds kFirstBackoff{1};
  static constexpr std::chrono::seconds kMaxBackoff{300};
  static constexpr std::chrono::seconds kExpiryMargin{60};

  static std::int64_t refresh_at_ms(std::int64_t now_ms, const OcspResponse& response);
  static std::chrono::seconds next_backoff(std::chrono::seconds backoff);
};

// The OCSP responses of every certificate served with ocsp_stapling (and no
// ocsp_response_file): each fetched in the background from the responder the certificate's AIA
// names (http:// only, over Asio, under kFetchTimeout, at most kMaxResponseSize), verified
// (check_ocsp_response), cached and refreshed before it expires (OcspSchedule). Entries are keyed
// by the SHA-256 fingerprint of the certificate, so a reload that serves the same certificate
// keeps its response and its schedule; an entry no snapshot holds any more is dropped.
// Thread: attach(), poll(), status() and stop() on the control thread (fetches run on its
// executor); workers read Entry::response() during handshakes (one atomic load).
class OcspStapler : public std::enable_shared_from_this<OcspStapler> {
 public:
  static constexpr std::chrono::seconds kFetchTimeout{10};
  static constexpr std::size_t kMaxResponseSize = 64 * 1024;

  class Entry {
   public:
    // The response to staple, or nullptr. Callers still check valid_at(now): a response is kept
    // until a fetch replaces it, and it may expire while the responder is down.
    std::shared_ptr<const OcspResponse> response() const {
      return response_.load(std::memory_order_acquire);
    }
    const std::string& label() const { return label_; }
    const std::string& url() const { return url_; }

   private:
    friend class OcspStapler;
    std::atomic<std::shared_ptr<const OcspResponse>> response_;
    // Control thread only, below.
    X509Ptr leaf_;
    X509Ptr issuer_;
    X509StackPtr extra_;
    std::string url_;
    std::string label_;
    std::string request_der_;
    std::int64_t next_attempt_ms_ = 0;
    std::chrono::seconds backoff_{0};
    bool in_flight_ = false;
    std::array<std::uint64_t, kOcspFetchFailureCount> failures_{};
  };

  explicit OcspStapler(boost::asio::any_io_executor executor);

  // The entry for `cert` (the same one for the same certificate), fetched at the next poll()
  // when new. nullptr with `problem` when its response cannot be fetched: no OCSP responder in
  // its AIA, a responder that is not http://, or an issuer missing from its certificate file.
  std::shared_ptr<Entry> attach(const Certificate& cert, std::string& problem);

  // Starts the fetches that are due (housekeeping calls it every second); forgets entries no
  // snapshot holds.
  void poll(std::int64_t now_ms);
  // Cancels fetches in flight; no fetch starts afterwards.
  void stop();

  struct Status {
    std::string label;
    std::shared_ptr<const OcspResponse> response;
    std::array<std::uint64_t, kOcspFetchFailureCount> failures{};
  };
  std::vector<Status> status() const;

 private:
  struct FetchState;
  awaitable<void> fetch(std::shared_ptr<Entry> entry);
  void record(Entry& entry, std::int64_t now_ms, const OcspCheck* check, OcspFetchFailure failure);

  boost::asio::any_io_executor executor_;
  std::map<std::string, std::weak_ptr<Entry>, std::less<>> entries_;  // by fingerprint
  bool stopped_ = false;
  std::vector<std::weak_ptr<FetchState>> fetches_;  // running fetches, for stop()
};

}  // namespace albatross::tls
