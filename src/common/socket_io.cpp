#include "albatross/common/socket_io.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/version.hpp>

// The drained mark is a field of the epoll reactor's per-descriptor state. Its layout is Boost's
// own: check it again when Boost changes (the integration tests stall if the mark is wrong).
static_assert(BOOST_VERSION == 108100, "SocketIo relies on Boost 1.81's epoll reactor");
#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "SocketIo relies on Asio's epoll reactor"
#endif

namespace albatross {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;
using Reactor = net::detail::epoll_reactor;
using SocketBase = net::basic_socket<tcp, net::any_io_executor>;

// Access to two non-public members through explicit instantiation, which the language exempts
// from access checking: the socket's implementation and the reactor's speculative-read flags.
template <typename Tag, typename Tag::type Member>
struct Grant {
  friend typename Tag::type member_of(Tag) { return Member; }
};
struct SocketImplTag {
  using type =
      net::detail::io_object_impl<net::detail::reactive_socket_service<tcp>, net::any_io_executor>
          SocketBase::*;
  friend type member_of(SocketImplTag);
};
struct SpeculativeTag {
  using type = bool (Reactor::descriptor_state::*)[Reactor::max_ops];
  friend type member_of(SpeculativeTag);
};
template struct Grant<SocketImplTag, &SocketBase::impl_>;
template struct Grant<SpeculativeTag, &Reactor::descriptor_state::try_speculative_>;

bool* speculative_flags(tcp::socket& socket) {
  SocketBase& base = socket;
  auto& impl = (base.*member_of(SocketImplTag{})).get_implementation();
  Reactor::per_descriptor_data state = impl.reactor_data_;
  if (state == nullptr) return nullptr;
  return (*state).*member_of(SpeculativeTag{});
}

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

}  // namespace

bool SocketIo::read_speculative(tcp::socket& socket) {
  bool* flags = speculative_flags(socket);
  return flags == nullptr || flags[Reactor::read_op];
}

void SocketIo::mark_drained(tcp::socket& socket) {
  if (bool* flags = speculative_flags(socket)) flags[Reactor::read_op] = false;
}

net::awaitable<std::pair<error_code, std::size_t>> SocketIo::read_some(
    tcp::socket& socket, ByteBuffer& buffer, std::size_t min_free, std::size_t capacity,
    bool expect_data, bool exclusive) {
  char* p = buffer.prepare(min_free, capacity);
  auto [ec, n] = co_await read_some(socket, p, buffer.free_space(), expect_data, exclusive);
  if (!ec) buffer.commit(n);
  co_return std::pair{ec, n};
}

net::awaitable<std::pair<error_code, std::size_t>> SocketIo::read_some(
    tcp::socket& socket, char* data, std::size_t space, bool expect_data, bool exclusive) {
  if (expect_data) {
    error_code ec;
    std::size_t n = socket.read_some(net::buffer(data, space), ec);
    if (!ec) {
      // A short read took everything the kernel held: the next byte raises a new edge.
      if (n < space) mark_drained(socket);
      co_return std::pair{ec, n};
    }
    if (ec != net::error::would_block && ec != net::error::try_again) co_return std::pair{ec, n};
    mark_drained(socket);
  }
  // A read queued without a speculative try is performed by the reactor when the edge comes,
  // and its completion runs inline, before the reactor polls again: a short read then means
  // drained. After a speculative try the completion is posted, and an edge may come between.
  bool queued = exclusive && !read_speculative(socket);
  auto [ec, n] = co_await socket.async_read_some(net::buffer(data, space), use_nothrow);
  if (!ec && queued && n < space) mark_drained(socket);
  co_return std::pair{ec, n};
}

net::awaitable<std::pair<error_code, std::size_t>> SocketIo::write_all(
    tcp::socket& socket, std::span<const net::const_buffer> buffers, bool more) {
  const tcp::socket::message_flags flags = more ? MSG_MORE : 0;
  boost::beast::buffers_suffix<std::span<const net::const_buffer>> rest(buffers);
  std::size_t total = 0;
  for (;;) {
    error_code ec;
    std::size_t n = socket.send(rest, flags, ec);
    total += n;
    if (!ec) {
      rest.consume(n);
      if (net::buffer_size(rest) == 0) co_return std::pair{ec, total};
      continue;  // a partial write: the kernel's buffer filled up
    }
    if (ec != net::error::would_block && ec != net::error::try_again)
      co_return std::pair{ec, total};
    // The send buffer is full: wait for room through the reactor.
    auto [wait_ec, sent] = co_await socket.async_send(rest, flags, use_nothrow);
    total += sent;
    if (wait_ec) co_return std::pair{wait_ec, total};
    rest.consume(sent);
    if (net::buffer_size(rest) == 0) co_return std::pair{wait_ec, total};
  }
}

}  // namespace albatross
