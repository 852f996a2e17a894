// StoreError: what went wrong in a call to JetStream or the connection, as
// nats.c reported it (jetstream.hpp, async_publisher.hpp).
#pragma once

#include <nats/nats.h>

#include <string>

namespace tact::nats::durable {

// An error from JetStream or the connection, with nats.c's text and the
// JetStream error code (0 when there is none).
struct StoreError {
  natsStatus status = NATS_OK;
  int js_code = 0;
  std::string text;
  bool disconnected = false;  // the connection was down (reconnecting) when it failed
  explicit operator bool() const noexcept { return status != NATS_OK; }
};
// From the calling thread's last nats.c error (call it on the thread that failed).
StoreError store_error(natsStatus status, jsErrCode code);

// The error for a person: nats.c's text, JetStream's code, and what the
// usual causes are (no stream leader, the connection down), as an ask's
// error says it (docs/durable.md, "Failures").
std::string describe(const StoreError& error);

}  // namespace tact::nats::durable
