// IoThread: one epoll loop owning a set of client connections.
//
// Each round:
//   1. epoll_wait (blocking only when no completion is waiting);
//   2. accept new clients (every I/O thread polls the one listening socket, with
//      EPOLLEXCLUSIVE so a new client wakes one of them); read each readable
//      connection once, parse every whole request, answer local commands at once
//      and add key ops to the per-shard batches;
//   3. send each shard its batch as one ask; its then() continuation pushes the
//      answers into this thread's CompletionQueue (never blocking anyone). With
//      io_runs_shards, this thread then runs the shard turns it woke itself
//      (tact::Driver::run_ready): no worker is woken, the answers are in the
//      queue before step 4, and a request costs no thread switch;
//   4. fill the waiting replies from the completions;
//   5. write each connection's ready replies, in request order, in one send.
// Nothing in the loop blocks but epoll_wait: no Reply::get() anywhere.
//
// Stopping (request_stop): stop accepting and reading, answer every request
// already parsed, write what the clients will take (at most kStopGrace), close,
// and return once every batch sent has come back (its continuation holds a
// pointer to this thread's queue).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "completion_queue.hpp"
#include "connection.hpp"
#include "server_context.hpp"
#include "shard_batches.hpp"

struct epoll_event;

namespace kv {

class IoThread {
 public:
  explicit IoThread(const ServerContext& context);
  ~IoThread();  // stops and joins
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  void start();
  // Any thread.
  void request_stop() noexcept;
  void join();

 private:
  static constexpr std::chrono::seconds kStopGrace{2};

  void run();
  void spin_for_completions();
  int poll_before_sleeping(::epoll_event* events, int capacity);
  void handle_event(std::uint64_t token, std::uint32_t events);
  void accept_clients();
  void read_from(std::uint32_t index);
  void parse_requests(std::uint32_t index);
  std::size_t parse_from(std::uint32_t index, std::string_view input);
  void send_batches();
  void apply_completions();
  void fill(const Target& target, std::string_view reply, std::int64_t number);
  void queue_flush(std::uint32_t index);
  void flush_queued();
  void flush(std::uint32_t index);
  bool paused(const Connection& c) const noexcept;
  void update_interest(std::uint32_t index);
  void close_connection(std::uint32_t index);
  void begin_stop();
  bool stop_finished();  // closes what outstays the grace period

  const ServerContext& context_;
  CompletionQueue queue_;
  ShardBatches batches_;
  int epoll_fd_ = -1;
  std::thread thread_;
  // release in request_stop; pairs with the acquire load at the top of run()'s loop
  // (the queue's eventfd write wakes the loop to look).
  std::atomic<bool> stop_requested_{false};

  // Owned by the loop's thread only.
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t open_connections_ = 0;
  std::vector<std::uint32_t> flush_list_;  // connections with replies to write this round
  std::vector<std::uint32_t> flushing_;    // the list being walked
  std::vector<Completion> completions_;
  std::vector<std::string_view> args_;
  std::vector<char> scratch_;           // every read lands here first
  std::size_t batches_in_flight_ = 0;   // sent, completion not yet applied
  // Runs the shard turns this thread's batches wake (ServerContext::io_runs_shards);
  // run()'s own (a Driver lives and dies on its thread), or nullptr.
  tact::Driver* driver_ = nullptr;
  std::int64_t now_ns_ = 0;             // steady_clock, read once per round
  bool accepting_ = true;
  bool listen_registered_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
};

}  // namespace kv
