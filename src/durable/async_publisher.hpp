// AsyncPublisher: JetStream publishes that do not wait for their ack. The
// caller's thread sends the message (js_PublishMsgAsync) and goes on; the ack,
// or the refusal, or the timeout, reaches `done` on one thread of nats.c's
// (the reply subscription of its own JetStream context). A durable actor's
// append is sent from the incarnation's worker and its ask answered from that
// thread, with no storage thread in between (docs/durable.md, "Cost").
//
// `done` runs exactly once per publish: on nats.c's thread, or on the caller's
// when the publish cannot start, or in close(). It must be short: every ack of
// the connection waits behind it.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "durable/store_error.hpp"

namespace tact::nats::durable {

struct PublishAck {
  bool stored = false;
  std::uint64_t sequence = 0;  // stored: the stream sequence (a duplicate's: the stored copy's)
  StoreError error;            // not stored: why (JetStream's code and text, a timeout, ...)
};

class AsyncPublisher {
 public:
  using Done = std::function<void(const PublishAck&)>;

  // A JetStream context of its own on `connection` (throws tact::Error).
  explicit AsyncPublisher(natsConnection* connection);
  // close(), then the context goes.
  ~AsyncPublisher();
  AsyncPublisher(const AsyncPublisher&) = delete;
  AsyncPublisher& operator=(const AsyncPublisher&) = delete;

  // Sends `msg` (taken: destroyed here or by nats.c) and returns; `done` gets
  // its ack. The ack waits at most `max_wait_ms` (then a NATS_TIMEOUT error).
  // Any thread.
  void publish(natsMsg* msg, int max_wait_ms, Done done);

  // Ends every pending publish with a NATS_CONNECTION_CLOSED error, and waits
  // until nats.c has no ack handler running (or 10 s); acks that come later
  // are dropped. Any thread but nats.c's callback thread.
  void close();

 private:
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* self);
  void acked(natsMsg* msg, const jsPubAck* ack, const jsPubAckErr* error);

  jsCtx* js_ = nullptr;
  std::mutex mutex_;
  std::unordered_map<natsMsg*, Done> pending_;  // by the message nats.c hands back with the ack
  bool closed_ = false;
};

}  // namespace tact::nats::durable
