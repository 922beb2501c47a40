#pragma once

#include <string_view>

namespace albatross::admin {

// One file of the dashboard, compiled into the binary from src/admin/dashboard/ (see the
// "Dashboard assets" block of CMakeLists.txt): no CDN, no fonts, no bundler.
struct DashboardAsset {
  std::string_view path;          // "/", "/app.js", "/app.css", "/favicon.svg"
  std::string_view content_type;  // with charset
  std::string_view body;
};

// The asset served at `path`, nullptr when there is none. Thread: any.
const DashboardAsset* find_dashboard_asset(std::string_view path);

}  // namespace albatross::admin
