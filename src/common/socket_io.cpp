#include "albatross/common/socket_io.hpp"
#include "albatross/common/coroutine.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/version.hpp>

// The drained mark and the last edge's events are fields of the epoll reactor's per-descriptor
// state. Their layout is Boost's own: check them again when Boost changes (the integration tests
// stall if the mark is wrong).
static_assert(BOOST_VERSION == 108100, "SocketIo relies on Boost 1.81's epoll reactor");
#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "SocketIo relies on Asio's epoll reactor"
#endif

namespace albatross {
namespace {

namespace net = boost::asio;
namespace detail = boost::asio::detail;
using boost::system::error_code;
using tcp = net::ip::tcp;
using Reactor = detail::epoll_reactor;
using State = Reactor::descriptor_state;
using SocketBase = net::basic_socket<tcp, net::any_io_executor>;

// Access to non-public members through explicit instantiation, which the language exempts from
// access checking.
template <typename Tag, typename Tag::type Member>
struct Grant {
  friend typename Tag::type member_of(Tag) { return Member; }
};
#define ALBATROSS_GRANT(Name, Type, Member) \
  struct Name {                             \
    using type = Type;                      \
    friend type member_of(Name);            \
  };                                        \
  template struct Grant<Name, Member>

using SocketImplType =
    detail::io_object_impl<detail::reactive_socket_service<tcp>, net::any_io_executor>;
ALBATROSS_GRANT(SocketImpl, SocketImplType SocketBase::*, &SocketBase::impl_);
ALBATROSS_GRANT(Speculative, bool (State::*)[Reactor::max_ops], &State::try_speculative_);
ALBATROSS_GRANT(Registered, std::uint32_t State::*, &State::registered_events_);
ALBATROSS_GRANT(Owner, Reactor* State::*, &State::reactor_);
ALBATROSS_GRANT(EpollFd, int Reactor::*, &Reactor::epoll_fd_);
ALBATROSS_GRANT(TaskResult, unsigned int detail::scheduler_operation::*,
                &detail::scheduler_operation::task_result_);
#undef ALBATROSS_GRANT

auto& impl_of(tcp::socket& socket) {
  SocketBase& base = socket;
  return (base.*member_of(SocketImpl{})).get_implementation();
}

State* state_of(tcp::socket& socket) {
  return impl_of(socket).reactor_data_;
}

// The events of the last edge the reactor handled for this descriptor.
std::uint32_t last_events(State& state) {
  // A C-style cast converts to the private base correctly, which no named cast may.
  detail::scheduler_operation& op = (detail::scheduler_operation&)state;
  return op.*member_of(TaskResult{});
}

}  // namespace

bool SocketIo::watch_peer_close(tcp::socket& socket) {
  State* state = state_of(socket);
  if (state == nullptr) return false;
  std::uint32_t& registered = state->*member_of(Registered{});
  if (registered & EPOLLRDHUP) return true;
  Reactor& reactor = *(state->*member_of(Owner{}));
  epoll_event ev{};
  ev.events = registered | EPOLLRDHUP;
  ev.data.ptr = state;
  if (epoll_ctl(reactor.*member_of(EpollFd{}), EPOLL_CTL_MOD, socket.native_handle(), &ev) != 0) {
    return false;
  }
  registered = ev.events;
  return true;
}

bool SocketIo::read_speculative(tcp::socket& socket) {
  State* state = state_of(socket);
  return state == nullptr || (state->*member_of(Speculative{}))[Reactor::read_op];
}

void SocketIo::adopt_accepted(tcp::socket& socket, bool non_blocking) {
  auto& impl = impl_of(socket);
  impl.state_ &= static_cast<detail::socket_ops::state_type>(~detail::socket_ops::possible_dup);
  if (non_blocking) impl.state_ |= detail::socket_ops::non_blocking;
}

void SocketIo::mark_drained(tcp::socket& socket) {
  if (State* state = state_of(socket)) (state->*member_of(Speculative{}))[Reactor::read_op] = false;
}

awaitable<std::pair<error_code, std::size_t>> SocketIo::read_some(tcp::socket& socket,
                                                                  ByteBuffer& buffer,
                                                                  std::size_t min_free,
                                                                  std::size_t capacity,
                                                                  bool expect_data, bool may_mark) {
  char* p = buffer.prepare(min_free, capacity);
  auto [ec, n] = co_await read_some(socket, p, buffer.free_space(), expect_data, may_mark);
  if (!ec) buffer.commit(n);
  co_return std::pair{ec, n};
}

awaitable<std::pair<error_code, std::size_t>> SocketIo::read_some(tcp::socket& socket, char* data,
                                                                  std::size_t space,
                                                                  bool expect_data, bool may_mark) {
  // When Asio would try a read first anyway, try it here: a read that finds nothing marks the
  // socket drained before anything else runs, and the wait below costs no system call. (A
  // short read here proves nothing: a FIN may wait behind the data.)
  if (expect_data || read_speculative(socket)) {
    error_code ec;
    std::size_t n = socket.read_some(net::buffer(data, space), ec);
    if (ec != net::error::would_block && ec != net::error::try_again) co_return std::pair{ec, n};
    mark_drained(socket);
  }
  // Marked drained: the read is queued without a try and performed by the reactor when the
  // edge comes, and its completion runs inline, before the reactor polls again. A short read
  // then took everything, unless the same edge reported the peer's close. Not so with another
  // operation pending on the socket: its completion may run first and this one be posted.
  auto [ec, n] = co_await socket.async_read_some(net::buffer(data, space), use_nothrow);
  if (!ec && may_mark && n < space) {
    State* state = state_of(socket);
    if (state != nullptr && (last_events(*state) & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) {
      mark_drained(socket);
    }
  }
  co_return std::pair{ec, n};
}

awaitable<std::pair<error_code, std::size_t>> SocketIo::write_all(
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
