#include "albatross/tls/server_context.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstring>
#include <ctime>

#include "albatross/common/ascii.hpp"
#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/common/wall_clock.hpp"
#include "albatross/tls/file_reader.hpp"

namespace albatross::tls {
namespace {

constexpr unsigned char kSessionIdContext[] = "albatross";

// The slot of every SSL_CTX of a ServerContext that points back to it (SSL app data belongs to
// Asio's stream).
int server_context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string name_text(const X509_NAME* name) {
  char text[256];
  X509_NAME_oneline(name, text, sizeof text);
  return text;
}
constexpr std::string_view kHttp11 = "http/1.1";

// ALPN: http/1.1 when the client offers it; a client offering only other protocols (h2) goes
// on without ALPN rather than failing, and speaks HTTP/1.1 or leaves.
int on_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
            unsigned int in_length, void*) {
  for (unsigned int i = 0; i < in_length;) {
    unsigned int length = in[i];
    if (i + 1 + length > in_length) break;
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), length) == kHttp11) {
      *out = in + i + 1;
      *out_length = static_cast<unsigned char>(length);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + length;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string utc_text(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

// Which certificates serve one name: indexes into the listener's certificates, -1 for none.
struct Choice {
  int rsa = -1;
  int ecdsa = -1;
  void offer(int index, KeyType type) {
    int& slot = type == KeyType::rsa ? rsa : ecdsa;
    if (slot < 0) slot = index;  // the first declared wins: default, then sni in order
  }
  void fill_from(const Choice& other) {
    if (rsa < 0) rsa = other.rsa;
    if (ecdsa < 0) ecdsa = other.ecdsa;
  }
  auto operator<=>(const Choice&) const = default;
};

}  // namespace

std::shared_ptr<const ServerContext> ServerContext::create(
    const config::TlsConfig& config, const std::string& key_path,
    std::shared_ptr<const TicketKeyRing> tickets, std::int64_t now_unix,
    std::vector<Problem>& errors, std::vector<std::string>& warnings, Services services) {
  std::shared_ptr<ServerContext> server(new ServerContext());
  std::size_t errors_before = errors.size();
  server->tickets_ = std::move(tickets);
  server->handshake_timeout_ = config.handshake_timeout;
  server->policy_ = find_security_policy(config.policy);
  if (server->policy_ == nullptr) {
    std::string known;
    for (const SecurityPolicy& p : security_policies())
      str_append(known, str_cat(known.empty() ? "" : ", ", p.name));
    errors.push_back({key_path + ".policy", str_cat("unknown security policy \"", config.policy,
                                                    "\" (known: ", known, ")")});
  }

  auto load = [&](const config::TlsCertificateConfig& c, const std::string& path) {
    Certificate::Error error;
    std::optional<Certificate> cert = Certificate::load(c.certificate, c.private_key, error);
    if (!cert) {
      errors.push_back(
          {path + (error.in_private_key ? ".private_key" : ".certificate"), error.message});
      return;
    }
    if (cert->not_after_unix() < now_unix) {
      warnings.push_back(str_cat(path, ".certificate: certificate ", c.certificate, " (",
                                 cert->label(), ") EXPIRED at ", utc_text(cert->not_after_unix()),
                                 "; serving it anyway, clients will reject it: renew it now"));
    } else if (cert->not_before_unix() > now_unix) {
      warnings.push_back(str_cat(path, ".certificate: certificate ", c.certificate, " (",
                                 cert->label(), ") is not valid before ",
                                 utc_text(cert->not_before_unix()),
                                 "; serving it anyway, clients will reject it until then"));
    }
    server->certificates_.push_back(std::move(*cert));
  };
  load(config.default_certificate, key_path);
  for (std::size_t i = 0; i < config.sni.size(); ++i)
    load(config.sni[i], str_cat(key_path, ".sni[", i, ']'));
  if (errors.size() != errors_before) return nullptr;

  server->services_ = std::move(services);
  server->client_auth_ = config.client_auth;
  if (config.client_auth == config::ClientAuthMode::verify) {
    TrustStore::Error error;
    server->trust_store_ =
        TrustStore::load(config.trust_store, config.crl_file, now_unix, error, warnings);
    if (!server->trust_store_) {
      errors.push_back(
          {key_path + (error.in_crl_file ? ".crl_file" : ".trust_store"), error.message});
      return nullptr;
    }
  }
  // Resumed sessions skip client verification: a ticket is only good under the client_auth
  // mode and trust store content it was issued with.
  std::array<unsigned char, 32> session_context{};
  unsigned int session_context_length = sizeof kSessionIdContext - 1;
  std::memcpy(session_context.data(), kSessionIdContext, session_context_length);
  if (config.client_auth != config::ClientAuthMode::off) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    EVP_DigestUpdate(md, kSessionIdContext, sizeof kSessionIdContext - 1);
    auto mode = static_cast<unsigned char>(config.client_auth);
    EVP_DigestUpdate(md, &mode, 1);
    if (server->trust_store_)
      EVP_DigestUpdate(md, server->trust_store_->digest().data(),
                       server->trust_store_->digest().size());
    EVP_DigestFinal_ex(md, session_context.data(), &session_context_length);
    EVP_MD_CTX_free(md);
  }

  if (config.ocsp_stapling) {
    for (std::size_t i = 0; i < server->certificates_.size(); ++i) {
      const Certificate& cert = server->certificates_[i];
      const config::TlsCertificateConfig& c =
          i == 0 ? config.default_certificate : config.sni[i - 1];
      std::string path = i == 0 ? key_path : str_cat(key_path, ".sni[", i - 1, ']');
      Stapling& stapling = server->stapling_.emplace_back();
      if (!c.ocsp_response_file.empty()) {
        // Offline alternative: read and checked at every load (reload re-reads it).
        std::string der;
        std::string error;
        X509* issuer = find_issuer(cert.leaf(), cert.chain());
        if (!read_small_file(c.ocsp_response_file, false, der, error)) {
          errors.push_back({path + ".ocsp_response_file", error});
          continue;
        }
        if (issuer == nullptr) {
          errors.push_back({path + ".ocsp_response_file",
                            str_cat("cannot check ", c.ocsp_response_file, ": ", c.certificate,
                                    " holds no issuer certificate after the leaf")});
          continue;
        }
        OcspCheck check = check_ocsp_response(der, cert.leaf(), issuer, cert.chain(), now_unix);
        if (check.status == OcspStatus::good) {
          stapling.from_file = check.response;
        } else if (check.status == OcspStatus::invalid && !check.error.starts_with("past") &&
                   !check.error.starts_with("thisUpdate")) {
          errors.push_back(
              {path + ".ocsp_response_file", str_cat(c.ocsp_response_file, ": ", check.error)});
        } else {
          warnings.push_back(str_cat(path, ".ocsp_response_file: ", c.ocsp_response_file, " (",
                                     cert.label(), "): ",
                                     check.status == OcspStatus::invalid
                                         ? check.error
                                         : str_cat("status ", ocsp_status_name(check.status)),
                                     "; not stapling it"));
        }
      } else if (server->services_.ocsp) {
        std::string problem;
        stapling.fetched = server->services_.ocsp->attach(cert, problem);
        if (!stapling.fetched)
          warnings.push_back(
              str_cat(path, ".certificate: ", c.certificate, " (", cert.label(), ") ", problem));
      } else if (ocsp_responder_url(cert.leaf()).empty()) {
        warnings.push_back(str_cat(path, ".certificate: ", c.certificate, " (", cert.label(),
                                   ") has no OCSP responder in its Authority Information "
                                   "Access: nothing to staple"));
      }
    }
    if (errors.size() != errors_before) return nullptr;
  }

  // Which certificates serve each name, then one context per distinct choice.
  std::map<std::string, Choice, std::less<>> exact;
  std::map<std::string, Choice, std::less<>> wildcard;
  for (std::size_t i = 0; i < server->certificates_.size(); ++i) {
    const Certificate& cert = server->certificates_[i];
    for (const std::string& name : cert.names()) {
      if (name.starts_with("*.")) {
        wildcard[name.substr(2)].offer(static_cast<int>(i), cert.key_type());
      } else {
        exact[name].offer(static_cast<int>(i), cert.key_type());
      }
    }
  }
  // An exact name takes the key type it lacks from the wildcard covering it.
  for (auto& [name, choice] : exact) {
    auto dot = name.find('.');
    if (dot == std::string::npos) continue;
    if (auto it = wildcard.find(std::string_view(name).substr(dot + 1)); it != wildcard.end())
      choice.fill_from(it->second);
  }
  // The default serves clients without SNI or without a match: the default certificate, with
  // the other key type's certificate of the same first name when one is declared.
  Choice default_choice;
  default_choice.offer(0, server->certificates_[0].key_type());
  if (!server->certificates_[0].names().empty()) {
    const std::string& first = server->certificates_[0].names().front();
    if (first.starts_with("*.")) {
      default_choice.fill_from(wildcard[first.substr(2)]);
    } else {
      default_choice.fill_from(exact[first]);
    }
  }

  std::map<Choice, SSL_CTX*> built;
  auto context_for = [&](const Choice& choice) -> SSL_CTX* {
    if (auto it = built.find(choice); it != built.end()) return it->second;
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    const SecurityPolicy& policy = *server->policy_;
    bool ok = ctx != nullptr;
    ok = ok && SSL_CTX_set_min_proto_version(ctx.get(), policy.min_version) == 1 &&
         SSL_CTX_set_max_proto_version(ctx.get(), policy.max_version) == 1;
    if (ok) SSL_CTX_set_security_level(ctx.get(), policy.security_level);
    ok = ok && (policy.ciphers.empty() ||
                SSL_CTX_set_cipher_list(ctx.get(), std::string(policy.ciphers).c_str()) == 1);
    ok = ok && SSL_CTX_set1_groups_list(ctx.get(), std::string(kKeyExchangeGroups).c_str()) == 1;
    ok = ok && (policy.ciphersuites.empty() ||
                SSL_CTX_set_ciphersuites(ctx.get(), std::string(policy.ciphersuites).c_str()) == 1);
    if (!ok) {
      errors.push_back({key_path + ".policy", str_cat("cannot apply security policy ", policy.name,
                                                      ": ", take_openssl_error())});
      return nullptr;
    }
    SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                                       SSL_OP_NO_COMPRESSION);
    SSL_CTX_clear_options(ctx.get(), SSL_OP_NO_TICKET);
    // Resumption is by ticket only: no server-side cache to share between workers.
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_id_context(ctx.get(), session_context.data(), session_context_length);
    SSL_CTX_set_alpn_select_cb(ctx.get(), on_alpn, nullptr);
    SSL_CTX_set_ex_data(ctx.get(), server_context_index(), server.get());
    if (config.client_auth == config::ClientAuthMode::verify) {
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, on_verify);
      SSL_CTX_set1_cert_store(ctx.get(), server->trust_store_->store());
      SSL_CTX_set_info_callback(ctx.get(), on_info);
    } else if (config.client_auth == config::ClientAuthMode::passthrough) {
      // Any certificate is taken as sent (its CertificateVerify still proves the key): no
      // chain building at all.
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
      SSL_CTX_set_cert_verify_callback(
          ctx.get(), [](X509_STORE_CTX*, void*) { return 1; }, nullptr);
      // A resumed session knows the client's leaf but not the chain it sent (OpenSSL does not
      // keep it in tickets), and the chain is what passthrough forwards: no resumption.
      SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx.get(), 0);
    }
    if (config.ocsp_stapling) {
      SSL_CTX_set_tlsext_status_cb(ctx.get(), on_status_request);
      SSL_CTX_set_tlsext_status_arg(ctx.get(), server.get());
    }
    server->tickets_->install(ctx.get());
    for (int index : {choice.ecdsa, choice.rsa}) {
      if (index < 0) continue;
      const Certificate& cert = server->certificates_[static_cast<std::size_t>(index)];
      if (SSL_CTX_use_cert_and_key(ctx.get(), cert.leaf(), cert.private_key(), cert.chain(), 1) !=
          1) {
        std::string path = index == 0 ? key_path : str_cat(key_path, ".sni[", index - 1, ']');
        errors.push_back({path + ".certificate", str_cat("cannot use certificate ", cert.path(),
                                                         ": ", take_openssl_error())});
        return nullptr;
      }
    }
    SSL_CTX* raw = ctx.get();
    server->contexts_.push_back(std::move(ctx));
    built.emplace(choice, raw);
    return raw;
  };

  server->default_ = context_for(default_choice);
  if (server->default_ == nullptr) return nullptr;
  SSL_CTX_set_tlsext_servername_callback(server->default_, on_server_name);
  SSL_CTX_set_tlsext_servername_arg(server->default_, server.get());
  for (const auto& [name, choice] : exact) {
    SSL_CTX* ctx = context_for(choice);
    if (ctx == nullptr) return nullptr;
    server->exact_.emplace(name, ctx);
  }
  for (const auto& [suffix, choice] : wildcard) {
    SSL_CTX* ctx = context_for(choice);
    if (ctx == nullptr) return nullptr;
    server->wildcard_.emplace(suffix, ctx);
  }
  return server;
}

SSL_CTX* ServerContext::select(std::string_view server_name) const {
  char buffer[256];
  if (!server_name.empty() && server_name.back() == '.') server_name.remove_suffix(1);
  if (server_name.empty() || server_name.size() > sizeof buffer) return default_;
  for (std::size_t i = 0; i < server_name.size(); ++i)
    buffer[i] = ascii::to_lower(server_name[i]);
  std::string_view name(buffer, server_name.size());
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  // A wildcard covers exactly one label: *.example.com matches a.example.com only.
  auto dot = name.find('.');
  if (dot != std::string_view::npos && dot > 0) {
    if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end()) return it->second;
  }
  return default_;
}

std::shared_ptr<const OcspResponse> ServerContext::staple(std::size_t index,
                                                          std::int64_t now_unix) const {
  if (index >= stapling_.size()) return nullptr;
  const Stapling& s = stapling_[index];
  std::shared_ptr<const OcspResponse> response =
      s.from_file ? s.from_file : (s.fetched ? s.fetched->response() : nullptr);
  if (!response || !response->valid_at(now_unix)) return nullptr;
  return response;
}

bool ServerContext::staple_from_file(std::size_t index) const {
  return index < stapling_.size() && stapling_[index].from_file != nullptr;
}

const ServerContext* ServerContext::of(const SSL* ssl) {
  return static_cast<const ServerContext*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), server_context_index()));
}

void ServerContext::refuse_client(ClientAuthFailure reason, const std::string& detail) const {
  if (services_.count_client_auth_failure) services_.count_client_auth_failure(reason);
  std::uint64_t skipped = 0;
  if (!failure_log_.admit(reason, unix_ms_now(), skipped)) return;
  log::info("listener ", services_.listener, ": client certificate refused (",
            client_auth_failure_name(reason), ")", detail.empty() ? "" : ": ", detail,
            skipped == 0
                ? ""
                : str_cat(" (", skipped, " more refusal(s) for this reason since the last line)"));
}

// client_auth = "verify": the first error met in a client's chain refuses it, except a missing
// CRL (an issuer the trust store has no CRL for is not checked).
int ServerContext::on_verify(int ok, X509_STORE_CTX* store) {
  if (ok == 1) return 1;
  int error = X509_STORE_CTX_get_error(store);
  if (error == X509_V_ERR_UNABLE_TO_GET_CRL) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const ServerContext* server = ssl != nullptr ? of(ssl) : nullptr;
  if (server != nullptr) {
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    server->refuse_client(
        classify_verify_error(error),
        str_cat(X509_verify_cert_error_string(error), " at depth ",
                X509_STORE_CTX_get_error_depth(store),
                cert != nullptr ? str_cat(", subject ", name_text(X509_get_subject_name(cert)),
                                          ", issuer ", name_text(X509_get_issuer_name(cert)))
                                : std::string()));
  }
  return 0;
}

// client_auth = "verify": a client that sent no certificate never reaches on_verify; OpenSSL
// refuses it with a fatal alert, recognised here by the error it queued just before.
void ServerContext::on_info(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_WRITE_ALERT) == 0 || (value >> 8) != SSL3_AL_FATAL) return;
  unsigned long error = ERR_peek_last_error();
  if (ERR_GET_LIB(error) != ERR_LIB_SSL ||
      ERR_GET_REASON(error) != SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
    return;
  if (const ServerContext* server = of(ssl))
    server->refuse_client(ClientAuthFailure::missing, "the client sent no certificate");
}

// OCSP stapling: the response of the certificate chosen for this handshake, when one is valid.
int ServerContext::on_status_request(SSL* ssl, void* arg) {
  const auto* server = static_cast<const ServerContext*>(arg);
  X509* chosen = SSL_get_certificate(ssl);
  for (std::size_t i = 0; i < server->certificates_.size(); ++i) {
    if (server->certificates_[i].leaf() != chosen) continue;
    std::shared_ptr<const OcspResponse> response = server->staple(i, unix_ms_now() / 1000);
    if (!response) return SSL_TLSEXT_ERR_NOACK;
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(response->der.size()));
    if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
    std::memcpy(copy, response->der.data(), response->der.size());
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(response->der.size()));
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

int ServerContext::on_server_name(SSL* ssl, int*, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  const auto* server = static_cast<const ServerContext*>(arg);
  SSL_CTX* ctx = server->select(name);
  if (ctx != SSL_get_SSL_CTX(ssl) && SSL_set_SSL_CTX(ssl, ctx) == nullptr) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace albatross::tls
