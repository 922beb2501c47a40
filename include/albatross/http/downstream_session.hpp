#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "albatross/common/coroutine.hpp"
#include "albatross/http/worker_context.hpp"

namespace albatross::http {

// Serves one client connection until it ends: reads each request head under the listener's
// limits and deadlines, classifies it, picks a target, forwards the exchange (header, then body
// through a bounded buffer, both ways), and writes the response; keep-alive and pipelined
// requests are served in order. Runs on the worker that accepted the connection. Instantiated
// for plain TCP (and, in tls/, for TLS streams).
template <typename Stream>
awaitable<void> serve_downstream(Stream stream, WorkerContext& worker,
                                 std::shared_ptr<ListenerSlot> slot,
                                 boost::asio::ip::tcp::endpoint peer);

}  // namespace albatross::http
