#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <span>
#include <utility>

#include "albatross/common/byte_buffer.hpp"
#include "albatross/common/coroutine.hpp"

namespace albatross {

// Reads and writes on plain, non-blocking TCP sockets at the fewest system calls per exchange.
//
// Asio's epoll reactor registers each socket once, edge-triggered, and then starts every read
// with a speculative recv() (one that returns EAGAIN when the peer has sent nothing yet), or,
// for async_wait, with an epoll_ctl() that re-arms the descriptor: a system call per wait. It
// learns that a socket is drained only from a zero-byte read. SocketIo marks a socket drained
// when it knows: after EAGAIN, and after a short read performed by the reactor on an edge that
// did not also report the peer's close (EPOLLRDHUP, registered by watch_peer_close(): a FIN
// queued behind data raises no second edge). The next wait is then queued without a system
// call; the edge that new data raises clears the mark again.
// Thread: the socket's io_context thread, which must be its only thread.
class SocketIo {
 public:
  // Reads at least one byte into `buffer` (prepared to `capacity`, at least `min_free` free).
  // `expect_data`: bytes are probably there already (a body being streamed): try a direct read
  // first. `may_mark`: no other operation is pending on the socket (false in a tunnel) and
  // watch_peer_close() was called for it, so a short read may mark it drained.
  static awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(
      boost::asio::ip::tcp::socket& socket, ByteBuffer& buffer, std::size_t min_free,
      std::size_t capacity, bool expect_data, bool may_mark);
  // The same into `space` bytes at `data`.
  static awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(
      boost::asio::ip::tcp::socket& socket, char* data, std::size_t space, bool expect_data,
      bool may_mark);

  // Writes every byte of `buffers`. `more`: more of the same message follows at once, so the
  // kernel may hold a partial segment back (MSG_MORE) and send full ones.
  static awaitable<std::pair<boost::system::error_code, std::size_t>> write_all(
      boost::asio::ip::tcp::socket& socket, std::span<const boost::asio::const_buffer> buffers,
      bool more);

  // Adds EPOLLRDHUP to the socket's registration (one epoll_ctl), so that the reactor's edges
  // tell when the peer closed. False when that failed (reads then never mark).
  static bool watch_peer_close(boost::asio::ip::tcp::socket& socket);
  // Whether the next read on `socket` would be tried speculatively (not marked drained).
  static bool read_speculative(boost::asio::ip::tcp::socket& socket);
  static void mark_drained(boost::asio::ip::tcp::socket& socket);

  // Declares `socket` a connection accept() returned into this process alone, never duplicated:
  // its close then needs no epoll_ctl(EPOLL_CTL_DEL), as closing the only descriptor removes it
  // from the epoll set. `non_blocking`: it was accepted with SOCK_NONBLOCK, so Asio and
  // non_blocking() skip their ioctl(FIONBIO).
  static void adopt_accepted(boost::asio::ip::tcp::socket& socket, bool non_blocking);
};

}  // namespace albatross
