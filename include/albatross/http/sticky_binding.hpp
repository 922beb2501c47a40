#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "albatross/http/field.hpp"
#include "albatross/upstream/sticky_codec.hpp"
#include "albatross/upstream/sticky_cookie.hpp"
#include "albatross/upstream/target_group.hpp"

namespace albatross::http {

// Stickiness on the request path: which target a request's AWSALB cookie binds it to, and the
// Set-Cookie lines that (re)bind a client. Pure apart from reading the targets' observed state.
struct StickyBinding {
  // Why a request was not routed by its cookie (the metric's `reason` label, by index).
  enum class Miss : std::uint8_t { none = 0, invalid = 1, expired = 2, target_unavailable = 3 };

  const upstream::Target* target = nullptr;  // nullptr: not bound (see `miss`)
  Miss miss = Miss::none;
  // The binding should be re-issued: new, re-bound, or older than a tenth of the duration
  // (the sliding window).
  bool refresh = true;

  // The binding of a request with these fields to `group`, whose cookie is `cookie`.
  static StickyBinding follow(std::span<const Field> fields, const upstream::TargetGroup& group,
                              const upstream::StickyCookie& cookie,
                              const upstream::StickyCodec& codec,
                              std::chrono::system_clock::time_point now);
};

// Appends the Set-Cookie lines (AWSALB and AWSALBCORS) binding the client to `target` of
// `group` from `now`; appends nothing when sealing fails. Allocates only to grow `out`.
void append_sticky_binding(std::string& out, const upstream::Target& target,
                           const upstream::TargetGroup& group, const upstream::StickyCookie& cookie,
                           const upstream::StickyCodec& codec,
                           std::chrono::system_clock::time_point now);

}  // namespace albatross::http
