#include "albatross/http/field.hpp"

#include <doctest/doctest.h>

namespace albatross::http {
namespace {

TEST_CASE("identify_field knows the fields albatross interprets, in any case") {
  struct Case {
    std::string_view name;
    FieldId id;
  };
  for (Case c :
       {Case{"Host", FieldId::host}, Case{"HOST", FieldId::host},
        Case{"connection", FieldId::connection}, Case{"Keep-Alive", FieldId::keep_alive},
        Case{"Proxy-Connection", FieldId::proxy_connection},
        Case{"Content-Length", FieldId::content_length},
        Case{"transfer-encoding", FieldId::transfer_encoding}, Case{"TE", FieldId::te},
        Case{"Trailer", FieldId::trailer}, Case{"Upgrade", FieldId::upgrade},
        Case{"Expect", FieldId::expect}, Case{"Cookie", FieldId::cookie},
        Case{"Set-Cookie", FieldId::set_cookie}, Case{"X-Forwarded-For", FieldId::x_forwarded_for},
        Case{"X-Forwarded-Proto", FieldId::x_forwarded_proto},
        Case{"X-Forwarded-Port", FieldId::x_forwarded_port},
        Case{"X-Request-Id", FieldId::x_request_id}, Case{"User-Agent", FieldId::user_agent}}) {
    CAPTURE(c.name);
    CHECK(identify_field(c.name) == c.id);
  }
  for (std::string_view other : {"", "Hos", "Hostt", "Content_Length", "Content-Length ",
                                 "Transfer-Encodings", "X-Forwarded-Host", "Cookies", "T"}) {
    CAPTURE(other);
    CHECK(identify_field(other) == FieldId::other);
  }
}

}  // namespace
}  // namespace albatross::http
