#pragma once
// A level-triggered epoll set of its own inside an asio loop: the loop watches the set's one descriptor
// and, when it is ready, hands every ready member's key and events to a callback, on the loop's thread.
//
// Why not one asio descriptor per socket: asio registers each descriptor when it is assigned (plus a
// FIONBIO ioctl), re-arms it with EPOLL_CTL_MOD on every wait and deregisters it on release, five system
// calls per short-lived connection and an allocated operation per wait. Here a socket costs an ADD when
// it is first watched and a MOD when the wanted directions change; closing it drops it from the set with
// no call at all. The set's own descriptor is re-armed once per wake-up, whatever the number of sockets
// ready in it.
//
// Level-triggered on purpose: a socket stays reported while it is ready and watched, so a reader that
// stops before draining it (curl bounds its read loop) is called again, with no bookkeeping of edges.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <memory>

namespace synthprobe {

class EpollSet {
 public:
  // `key` is what watch() was given for the socket; `events` are epoll's (EPOLLIN, EPOLLOUT, EPOLLERR,
  // EPOLLHUP). The callback may watch, unwatch and close sockets, including ones still to be reported.
  using Ready = void (*)(void* context, std::uint64_t key, std::uint32_t events);

  EpollSet(boost::asio::io_context& io, Ready ready, void* context);
  ~EpollSet();
  EpollSet(const EpollSet&) = delete;
  EpollSet& operator=(const EpollSet&) = delete;

  // Watches `fd` for `events` (EPOLLIN and/or EPOLLOUT; errors and hang-ups are always reported) under
  // `key`: adds it, or changes it when `in_set` (the caller's belief; when the kernel says otherwise, a
  // socket closed behind the caller's back, the other call is made). 0, or the errno of the failure.
  int watch(int fd, std::uint32_t events, std::uint64_t key, bool in_set);
  // Takes `fd` out of the set (a socket that stays open but is no longer wanted). 0, or the errno.
  int unwatch(int fd);

  // Whether the loop waits for the set at all. Inactive, nothing of it is pending on the loop, so an
  // io_context with nothing else to do returns from run() (the owner turns it off when no transfer runs;
  // sockets that become ready meanwhile are reported once it is on again).
  void set_active(bool active);

 private:
  void arm();
  void drain();

  boost::asio::io_context& io_;
  boost::asio::posix::stream_descriptor descriptor_;  // owns the epoll descriptor
  int epoll_fd_ = -1;
  Ready ready_;
  void* context_;
  bool active_ = false;
  bool waiting_ = false;   // an async_wait is pending
  bool draining_ = false;  // inside drain(), or a drain is posted
  std::uint64_t wait_generation_ = 0;  // a cancelled wait's handler finds a newer one and leaves
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // pending handlers check it outlived them
};

}  // namespace synthprobe
