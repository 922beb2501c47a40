#pragma once

#include <cstdint>
#include <memory>

#include "albatross/accesslog/access_log_sink.hpp"

#include "albatross/http/head_limits.hpp"
#include "albatross/http/request_head.hpp"
#include "albatross/upstream/sticky_codec.hpp"

namespace albatross::http {

// ALB's desync mitigation modes (alb-behaviour.md §4.7).
enum class DesyncMode : std::uint8_t { monitor, defensive, strictest };

// Snapshot-wide settings of the request path. Immutable.
struct ProxySettings {
  HeadLimits request_limits;
  HeadLimits response_limits{.max_start_line = 32 * 1024,
                             .max_field_line = 32 * 1024,
                             .max_head = 32 * 1024,
                             .max_fields = 256};
  ParseOptions parse_options;
  DesyncMode desync_mode = DesyncMode::defensive;
  std::shared_ptr<accesslog::AccessLogSink> access_log;       // nullptr: access log off
  std::int64_t max_connections = 50000;                       // client connections per process
  std::shared_ptr<const upstream::StickyCodec> sticky_codec;  // one key ring for every group
};

}  // namespace albatross::http
