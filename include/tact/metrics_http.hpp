// tact::metrics::HttpEndpoint (target tact::metrics_http, on civetweb): serves
// GET /metrics, the Prometheus text of a runtime's metrics, from its own
// threads. Optional: the core (tact::tact) has no HTTP dependency; a host with
// its own HTTP server calls tact::metrics::prometheus_text(rt) instead.
//
//   tact::Runtime rt;
//   tact::metrics::HttpEndpoint endpoint(rt, "127.0.0.1:9464");   // or ":0": any free port
//   // ... prometheus scrapes http://127.0.0.1:<endpoint.port()>/metrics
//
// The runtime must outlive the endpoint (destroy the endpoint first).
#pragma once

#include <cstdint>
#include <string>

#include "tact/fwd.hpp"

namespace tact::metrics {

class HttpEndpoint {
 public:
  // Listens on `listen` (civetweb's listening_ports syntax: "127.0.0.1:9464",
  // "9464" for every interface, port 0 for any free one). Throws tact::Error
  // when it cannot listen there.
  explicit HttpEndpoint(const Runtime& rt, const std::string& listen = "127.0.0.1:0");
  ~HttpEndpoint();  // stops serving; a scrape in progress finishes first
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The port it listens on (the one picked, for port 0).
  std::uint16_t port() const noexcept { return port_; }

 private:
  const Runtime& runtime_;
  void* server_ = nullptr;  // civetweb's mg_context
  std::uint16_t port_ = 0;
};

}  // namespace tact::metrics
