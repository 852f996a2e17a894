#include "io_thread.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "commands.hpp"
#include "resp_parser.hpp"
#include "resp_writer.hpp"

namespace kv {
namespace {

// epoll tokens: a connection is (generation << 32 | index); these two are not.
constexpr std::uint64_t kListenToken = ~std::uint64_t{0};
constexpr std::uint64_t kWakeToken = ~std::uint64_t{0} - 1;

constexpr std::size_t kReadChunk = 64u << 10;
// Buffers above this give their memory back when they empty (idle connections
// should not keep a burst's worth).
constexpr std::size_t kKeepCapacity = 16u << 10;
constexpr int kMaxEvents = 256;

std::uint64_t token_of(std::uint32_t index, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | index;
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void release_if_large(std::string& buffer) {
  if (buffer.empty() && buffer.capacity() > kKeepCapacity) std::string().swap(buffer);
}

}  // namespace

IoThread::IoThread(const ServerContext& context)
    : context_(context),
      batches_(context.shards->routes()),
      epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      scratch_(kReadChunk) {
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = kWakeToken;
  epoll_event listen{};
  listen.events = EPOLLIN | EPOLLEXCLUSIVE;
  listen.data.u64 = kListenToken;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, queue_.fd(), &wake) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, context_.listen_fd, &listen) != 0) {
    const int error = errno;
    ::close(epoll_fd_);
    throw std::system_error(error, std::generic_category(), "epoll_ctl");
  }
  listen_registered_ = true;
}

IoThread::~IoThread() {
  request_stop();
  join();
  for (auto& c : connections_) {
    if (c->open()) ::close(c->fd);
  }
  ::close(epoll_fd_);
}

void IoThread::start() { thread_ = std::thread([this] { run(); }); }

void IoThread::request_stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);  // pairs with the acquire in run()
  queue_.wake();
}

void IoThread::join() {
  if (thread_.joinable()) thread_.join();
}

void IoThread::run() {
  std::optional<tact::Driver> driver;
  if (context_.io_runs_shards) driver_ = &driver.emplace(*context_.runtime);
  epoll_event events[kMaxEvents];
  for (;;) {
    // acquire: pairs with the release in request_stop().
    if (!stopping_ && stop_requested_.load(std::memory_order_acquire)) begin_stop();
    if (stopping_ && stop_finished()) {
      driver_ = nullptr;
      return;
    }

    if (batches_in_flight_ > 0) spin_for_completions();
    int n = stopping_ ? 0 : poll_before_sleeping(events, kMaxEvents);
    if (n <= 0) {
      int timeout_ms = queue_.prepare_to_sleep() ? -1 : 0;
      if (stopping_) timeout_ms = timeout_ms == 0 ? 0 : 50;  // to see the grace period end
      n = ::epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    }
    bool woken = false;
    for (int i = 0; i < n; ++i) woken |= events[i].data.u64 == kWakeToken;
    queue_.woke_up(woken);
    now_ns_ = steady_now_ns();

    for (int i = 0; i < n; ++i) handle_event(events[i].data.u64, events[i].events);
    send_batches();
    apply_completions();
    flush_queued();
    send_batches();  // requests parsed while flushing un-paused connections
  }
}

// Shards usually answer within microseconds; waiting that long awake is cheaper
// than sleeping in epoll_wait and being woken through the eventfd. Bounded by
// ServerContext::io_spin, and only while answers are due. After a short pure spin
// it yields, so a shard's worker sharing this core gets to run and answer.
void IoThread::spin_for_completions() {
  if (context_.io_spin.count() <= 0) return;
  const auto start = std::chrono::steady_clock::now();
  constexpr auto kPureSpin = std::chrono::microseconds(2);
  for (auto now = start; now - start < context_.io_spin; now = std::chrono::steady_clock::now()) {
    if (queue_.maybe_waiting()) return;
    if (now - start < kPureSpin) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }
}

// A client that pipelines answers within microseconds of our reply; sleeping in
// epoll_wait then means its send() must wake this thread (a context switch here,
// a cross-CPU wake-up paid by the client). Polling for that long instead keeps
// this thread on its core, at the price of that core while the clients are slow.
// Returns epoll_wait's count (0: nothing came within ServerContext::io_poll).
int IoThread::poll_before_sleeping(epoll_event* events, int capacity) {
  if (context_.io_poll.count() <= 0) return 0;
  const std::int64_t deadline = steady_now_ns() + std::chrono::nanoseconds(context_.io_poll).count();
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events, capacity, 0);
    if (n != 0 || queue_.maybe_waiting()) return n;
    if (steady_now_ns() >= deadline) return 0;
  }
}

void IoThread::handle_event(std::uint64_t token, std::uint32_t events) {
  if (token == kWakeToken) return;  // completions are applied every round
  if (token == kListenToken) return accept_clients();
  const auto index = static_cast<std::uint32_t>(token);
  if (index >= connections_.size()) return;
  Connection& c = *connections_[index];
  if (!c.open() || c.generation != static_cast<std::uint32_t>(token >> 32)) return;  // stale
  if ((events & EPOLLERR) != 0) return close_connection(index);
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0 && !c.read_closed) read_from(index);
  if (!c.open()) return;
  if ((events & EPOLLOUT) != 0) queue_flush(index);
  // HUP with reading already over: nobody will take our replies.
  if ((events & EPOLLHUP) != 0 && c.read_closed) close_connection(index);
}

void IoThread::accept_clients() {
  while (accepting_) {
    const int fd = ::accept4(context_.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop polling the listener (level-triggered, it would
        // spin) until a connection closes.
        std::fprintf(stderr, "tact-kv: accept: %s; pausing accepts\n", std::strerror(errno));
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, context_.listen_fd, nullptr);
        listen_registered_ = false;
      }
      return;  // EAGAIN: another thread took it, or none left
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::uint32_t index;
    if (!free_slots_.empty()) {
      index = free_slots_.back();
      free_slots_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(connections_.size());
      connections_.push_back(std::make_unique<Connection>());
    }
    Connection& c = *connections_[index];
    c.fd = fd;
    c.interest = EPOLLIN | EPOLLRDHUP;
    epoll_event ev{};
    ev.events = c.interest;
    ev.data.u64 = token_of(index, c.generation);
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      c.fd = -1;
      free_slots_.push_back(index);
      continue;
    }
    ++open_connections_;
  }
}

void IoThread::read_from(std::uint32_t index) {
  Connection& c = *connections_[index];
  const ssize_t n = ::recv(c.fd, scratch_.data(), scratch_.size(), 0);
  if (n == 0) {
    // The client is done sending: answer what it sent, then close.
    c.read_closed = true;
    c.in.clear();
    queue_flush(index);
    return;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    return close_connection(index);  // ECONNRESET and friends: the client vanished
  }
  const std::string_view data(scratch_.data(), static_cast<std::size_t>(n));
  if (c.in.empty()) {
    // The common case: whole requests straight from the scratch buffer; only a
    // trailing partial frame is copied into the connection.
    const std::size_t used = parse_from(index, data);
    if (c.open() && used < data.size() && !c.read_closed) c.in.assign(data.substr(used));
  } else {
    c.in.append(data);
    if (c.in.size() >= c.in_needed) parse_requests(index);
  }
}

void IoThread::parse_requests(std::uint32_t index) {
  Connection& c = *connections_[index];
  if (c.in.empty()) return;
  const std::size_t used = parse_from(index, c.in);
  if (c.read_closed) {
    c.in.clear();
  } else {
    c.in.erase(0, used);
  }
  release_if_large(c.in);
}

// Parses and dispatches whole requests from `input` while the connection may take
// more; returns the bytes used.
std::size_t IoThread::parse_from(std::uint32_t index, std::string_view input) {
  Connection& c = *connections_[index];
  std::size_t used = 0;
  bool queued = false;
  c.in_needed = 0;
  while (!c.read_closed && !paused(c)) {
    ParseResult r = parse_request(input.substr(used), context_.limits, args_);
    if (r.status == ParseStatus::kIncomplete) {
      c.in_needed = r.needed == 0 ? 0 : r.needed;
      break;
    }
    queued = true;
    if (r.status == ParseStatus::kError) {
      // Answer what came before, then this error, then close: the stream cannot be
      // resynchronised after a framing error.
      PendingReply& reply = c.replies.push();
      append_error(reply.bytes, "ERR Protocol error: " + r.error);
      reply.close_after = true;
      c.read_closed = true;
      used = input.size();
      break;
    }
    used += r.consumed;
    if (args_.empty()) continue;
    const Target target{index, c.generation, c.replies.next_sequence(), 0};
    RequestContext request{c.replies.push(), target, batches_, now_ns_, context_.runtime};
    dispatch_command(args_, request);
    if (request.reply.close_after) c.read_closed = true;  // QUIT
  }
  if (queued) queue_flush(index);
  if (paused(c)) update_interest(index);
  return used;
}

void IoThread::send_batches() {
  bool sent = false;
  for (std::size_t shard = 0; shard < batches_.shard_count(); ++shard) {
    if (batches_.empty(shard)) continue;
    sent = true;
    OutgoingBatch out = batches_.take(shard);
    ++batches_in_flight_;
    // The continuation runs on the tact worker that answers (or here, if the answer
    // is already in); it only moves the answer into this thread's queue.
    batches_.shard(shard).ask(std::move(out.batch))
        .then([queue = &queue_, targets = std::move(out.targets)](
                  tact::Outcome<BatchDone> answer) mutable {
          queue->push(Completion{std::move(targets), std::move(answer)});
        });
  }
  // Before anything can block (epoll_wait): what we sent waits for this call.
  if (sent && driver_) driver_->run_ready();
}

void IoThread::apply_completions() {
  queue_.take_all(completions_);
  for (Completion& done : completions_) {
    --batches_in_flight_;
    if (done.answer.has_value()) {
      const BatchDone& answers = done.answer.value();
      const std::size_t n = std::min(answers.results.size(), done.targets.size());
      for (std::size_t i = 0; i < n; ++i) {
        const OpResult& r = answers.results[i];
        fill(done.targets[i], answers.reply(r), r.number);
      }
    } else {
      // The shard failed on this batch (the pool restarts it, with its keys), or
      // is gone (the runtime is shutting down): every op of the batch fails.
      std::string error;
      append_error(error, "ERR shard unavailable");
      for (const Target& target : done.targets) fill(target, error, 0);
    }
  }
  completions_.clear();
}

void IoThread::fill(const Target& target, std::string_view reply, std::int64_t number) {
  if (target.connection >= connections_.size()) return;
  Connection& c = *connections_[target.connection];
  if (!c.open() || c.generation != target.generation) return;  // it closed meanwhile
  PendingReply* pending = c.replies.find(target.sequence);
  if (pending == nullptr) return;
  pending->fill(target.part, reply, number);
  if (pending->ready()) queue_flush(target.connection);
}

void IoThread::queue_flush(std::uint32_t index) {
  Connection& c = *connections_[index];
  if (c.flush_queued) return;
  c.flush_queued = true;
  flush_list_.push_back(index);
}

void IoThread::flush_queued() {
  // flush() may parse a paused connection's buffered requests, which queues more
  // flushes (for the next round): walk a swapped-out list.
  flushing_.swap(flush_list_);
  for (std::uint32_t index : flushing_) {
    Connection& c = *connections_[index];
    c.flush_queued = false;
    if (c.open()) flush(index);
  }
  flushing_.clear();
}

void IoThread::flush(std::uint32_t index) {
  Connection& c = *connections_[index];
  if (!c.closing && c.replies.drain_ready(c.out)) {
    c.closing = true;
    c.read_closed = true;
  }
  while (c.unsent() > 0) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.unsent(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return close_connection(index);  // EPIPE, ECONNRESET: the client vanished mid-reply
    }
    c.out_sent += static_cast<std::size_t>(n);
  }
  if (c.unsent() == 0) {
    c.out.clear();
    c.out_sent = 0;
    release_if_large(c.out);
  }
  const bool done = c.unsent() == 0 && (c.closing || (c.read_closed && c.replies.in_flight() == 0));
  if (done) return close_connection(index);
  // Caught up: requests held back by backpressure can go now.
  if (!c.read_closed && !paused(c) && !c.in.empty()) parse_requests(index);
  if (c.open()) update_interest(index);
}

bool IoThread::paused(const Connection& c) const noexcept {
  return c.replies.in_flight() >= context_.max_in_flight || c.unsent() >= context_.max_unsent;
}

void IoThread::update_interest(std::uint32_t index) {
  Connection& c = *connections_[index];
  std::uint32_t want = 0;
  if (!c.read_closed && !paused(c)) want |= EPOLLIN | EPOLLRDHUP;
  if (c.unsent() > 0) want |= EPOLLOUT;
  if (want == c.interest) return;
  c.interest = want;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = token_of(index, c.generation);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void IoThread::close_connection(std::uint32_t index) {
  Connection& c = *connections_[index];
  if (!c.open()) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  const std::uint32_t generation = c.generation + 1;
  const bool flush_queued = c.flush_queued;
  c = Connection{};  // frees the buffers; answers still coming are dropped by generation
  c.generation = generation;
  c.flush_queued = flush_queued;  // it stays in the flush list until the list runs
  free_slots_.push_back(index);
  --open_connections_;
  if (!listen_registered_ && accepting_) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u64 = kListenToken;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, context_.listen_fd, &ev) == 0) listen_registered_ = true;
  }
}

void IoThread::begin_stop() {
  stopping_ = true;
  accepting_ = false;
  stop_deadline_ = std::chrono::steady_clock::now() + kStopGrace;
  if (listen_registered_) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, context_.listen_fd, nullptr);
  listen_registered_ = false;
  for (std::uint32_t index = 0; index < connections_.size(); ++index) {
    Connection& c = *connections_[index];
    if (!c.open()) continue;
    c.read_closed = true;  // what was parsed is answered; nothing more is read
    c.in.clear();
    queue_flush(index);
  }
  flush_queued();
}

bool IoThread::stop_finished() {
  if (open_connections_ > 0 && std::chrono::steady_clock::now() >= stop_deadline_) {
    // Clients that do not read their replies do not hold the stop up.
    for (std::uint32_t index = 0; index < connections_.size(); ++index) close_connection(index);
  }
  // Sent batches must come back first: their continuations point at queue_.
  return open_connections_ == 0 && batches_in_flight_ == 0;
}

}  // namespace kv
