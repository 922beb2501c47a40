#include "albatross/http/field.hpp"

#include "albatross/common/ascii.hpp"

namespace albatross::http {

FieldId identify_field(std::string_view name) {
  using ascii::iequals;
  switch (name.size()) {
    case 2:
      if (iequals(name, "te")) return FieldId::te;
      break;
    case 4:
      if (iequals(name, "host")) return FieldId::host;
      break;
    case 6:
      if (iequals(name, "cookie")) return FieldId::cookie;
      if (iequals(name, "expect")) return FieldId::expect;
      break;
    case 7:
      if (iequals(name, "upgrade")) return FieldId::upgrade;
      if (iequals(name, "trailer")) return FieldId::trailer;
      break;
    case 10:
      if (iequals(name, "connection")) return FieldId::connection;
      if (iequals(name, "keep-alive")) return FieldId::keep_alive;
      if (iequals(name, "set-cookie")) return FieldId::set_cookie;
      if (iequals(name, "user-agent")) return FieldId::user_agent;
      break;
    case 12:
      if (iequals(name, "x-request-id")) return FieldId::x_request_id;
      break;
    case 14:
      if (iequals(name, "content-length")) return FieldId::content_length;
      break;
    case 15:
      if (iequals(name, "x-forwarded-for")) return FieldId::x_forwarded_for;
      break;
    case 16:
      if (iequals(name, "proxy-connection")) return FieldId::proxy_connection;
      if (iequals(name, "x-forwarded-port")) return FieldId::x_forwarded_port;
      break;
    case 17:
      if (iequals(name, "transfer-encoding")) return FieldId::transfer_encoding;
      if (iequals(name, "x-forwarded-proto")) return FieldId::x_forwarded_proto;
      break;
    default:
      break;
  }
  return FieldId::other;
}

}  // namespace albatross::http
