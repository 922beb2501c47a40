#pragma once

// The Asio coroutine vocabulary, spelled once: every coroutine in albatross returns
// awaitable<T> and completes its asynchronous operations with use_nothrow, which hands the
// error code back as a value (structured binding) instead of throwing: on the request path an
// error is an outcome to branch on, not an exception (style: error codes, not exceptions).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace albatross {

template <typename T = void>
using awaitable = boost::asio::awaitable<T>;

// `auto [ec, n] = co_await socket.async_read_some(buffer, use_nothrow);`
inline constexpr auto use_nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace albatross
