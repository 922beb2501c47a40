#pragma once

#include <cstddef>

namespace albatross::http {

// Size limits on a message head. Request defaults are ALB's (alb-behaviour.md §4.4); the field
// count bounds the work and memory one request can cost.
struct HeadLimits {
  std::size_t max_start_line = 16 * 1024;
  std::size_t max_field_line = 16 * 1024;
  std::size_t max_head = 64 * 1024;
  std::size_t max_fields = 100;
  // The first token of the start line: a request's method (the longest registered one has 17
  // bytes), a response's version.
  std::size_t max_method = 64;
};

}  // namespace albatross::http
