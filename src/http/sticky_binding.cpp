#include "albatross/http/sticky_binding.hpp"

#include <array>
#include <optional>

namespace albatross::http {

StickyBinding StickyBinding::follow(std::span<const Field> fields,
                                    const upstream::TargetGroup& group,
                                    const upstream::StickyCookie& cookie,
                                    const upstream::StickyCodec& codec,
                                    std::chrono::system_clock::time_point now) {
  StickyBinding binding;
  std::optional<std::string_view> value;
  for (const Field& f : fields) {
    if (f.id == FieldId::cookie && (value = cookie.find(f.value))) break;
  }
  if (!value) return binding;  // Miss::none: the client had no cookie
  upstream::DecodeResult decoded = codec.decode(*value);
  auto duration = group.config().stickiness.duration;
  if (!decoded.ok()) {
    binding.miss = Miss::invalid;
  } else if (decoded.payload.group_id != group.sticky_group_id()) {
    binding.miss = Miss::target_unavailable;  // AWSALB is shared by every group, as in ALB
  } else if (upstream::is_expired(decoded.payload, now, duration)) {
    binding.miss = Miss::expired;
  } else {
    const upstream::Target* t = group.find_sticky(decoded.payload.target_id);
    // When no target of the group is routable the group fails open; a bound user then stays
    // where they are rather than being spread at random.
    bool usable = t != nullptr &&
                  (upstream::TargetGroup::routable(*t) ||
                   (group.config().fail_open && !t->state->draining() && !group.any_routable()));
    if (usable) {
      binding.target = t;
      binding.refresh = now - decoded.payload.bound_at > duration / 10;
      return binding;
    }
    binding.miss = Miss::target_unavailable;
  }
  return binding;
}

void append_sticky_binding(std::string& out, const upstream::Target& target,
                           const upstream::TargetGroup& group, const upstream::StickyCookie& cookie,
                           const upstream::StickyCodec& codec,
                           std::chrono::system_clock::time_point now) {
  upstream::StickyPayload payload{target.sticky_id, group.sticky_group_id(),
                                  std::chrono::floor<std::chrono::seconds>(now)};
  std::array<char, upstream::StickyCodec::kValueSize> value;
  if (codec.encode_to(payload, value)) {
    cookie.append_set_cookie(out, std::string_view(value.data(), value.size()),
                             now + group.config().stickiness.duration);
  }
}

}  // namespace albatross::http
