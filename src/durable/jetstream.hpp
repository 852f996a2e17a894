// JetStream access for durable actors: one NATS connection with a JetStream
// context, and the stream and KV buckets they need, created if absent.
// Everything here is blocking and runs off the workers (a node's own threads).
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "durable/async_publisher.hpp"
#include "durable/store_error.hpp"

namespace tact::nats::durable {

// Where the durable tier's state lives, and how much to replicate it.
struct StoreConfig {
  std::vector<std::string> servers;
  bool randomize_servers = true;     // false: try `servers` in the order given
  std::string cluster = "default";   // names: TACT_<cluster>_EVENTS, ..._LEASES, ..._SNAPSHOTS
  int replicas = 3;                  // R3 on a 3-server cluster; 1 for a lone server
  std::chrono::milliseconds lease{10000};  // the lease bucket's TTL (lease.hpp)
  std::chrono::milliseconds request_timeout{5000};  // each JetStream API call
  // JetStream's de-duplication window for Nats-Msg-Id (event_log.hpp).
  std::chrono::milliseconds dedup_window{120000};
};

class JetStream {
 public:
  // Connects and makes sure the stream and buckets exist (throws tact::Error
  // naming what failed).
  explicit JetStream(StoreConfig config);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  const StoreConfig& config() const noexcept { return config_; }
  natsConnection* connection() const noexcept { return connection_; }
  jsCtx* context() const noexcept { return js_; }
  kvStore* leases() const noexcept { return leases_; }
  kvStore* snapshots() const noexcept { return snapshots_; }
  // Appends that do not wait for their ack (event_log.hpp's append_async).
  AsyncPublisher& publisher() const noexcept { return *publisher_; }
  const std::string& events_stream() const noexcept { return events_stream_; }
  // The subject of one durable actor's events. `name` may hold any bytes:
  // it is hex-encoded, so no '.', '*' or '>' of a user's name reaches NATS.
  std::string events_subject(const std::string& name) const;
  // The KV key of one durable actor (leases and snapshots): the same encoding.
  static std::string key_of(const std::string& name);

 private:
  StoreConfig config_;
  std::string events_stream_;
  std::string events_prefix_;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  kvStore* leases_ = nullptr;
  kvStore* snapshots_ = nullptr;
  std::unique_ptr<AsyncPublisher> publisher_;
};

}  // namespace tact::nats::durable
