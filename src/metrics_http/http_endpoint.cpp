// HttpEndpoint on civetweb: one request handler for /metrics; anything else is
// civetweb's 404 (no document root is configured, so no file is ever served).
#include "tact/metrics_http.hpp"

#include <civetweb.h>

#include <cstring>
#include <string>

#include "tact/errors.hpp"
#include "tact/metrics.hpp"
#include "tact/runtime.hpp"

namespace tact::metrics {
namespace {

int serve_metrics(mg_connection* connection, void* runtime) {
  const mg_request_info* request = mg_get_request_info(connection);
  if (std::strcmp(request->request_method, "GET") != 0 && std::strcmp(request->request_method, "HEAD") != 0) {
    mg_send_http_error(connection, 405, "%s", "only GET /metrics\n");
    return 405;
  }
  std::string body;
  try {
    body = prometheus_text(*static_cast<const Runtime*>(runtime));
  } catch (const std::exception& e) {
    mg_send_http_error(connection, 500, "tact metrics: %s\n", e.what());
    return 500;
  }
  mg_printf(connection,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            body.size());
  if (std::strcmp(request->request_method, "GET") == 0) mg_write(connection, body.data(), body.size());
  return 200;
}

// civetweb starts its library once per process (mg_init_library); count users.
struct Library {
  Library() { mg_init_library(0); }
  ~Library() { mg_exit_library(); }
};

}  // namespace

HttpEndpoint::HttpEndpoint(const Runtime& rt, const std::string& listen) : runtime_(rt) {
  static Library library;
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", "2", nullptr};
  mg_callbacks callbacks{};
  mg_context* server = mg_start(&callbacks, nullptr, options);
  if (server == nullptr) throw Error("tact::metrics::HttpEndpoint: cannot listen on '" + listen + "'");
  mg_set_request_handler(server, "/metrics$", &serve_metrics, const_cast<Runtime*>(&runtime_));
  mg_server_port ports[1]{};
  if (mg_get_server_ports(server, 1, ports) < 1) {
    mg_stop(server);
    throw Error("tact::metrics::HttpEndpoint: no listening port for '" + listen + "'");
  }
  port_ = static_cast<std::uint16_t>(ports[0].port);
  server_ = server;
}

HttpEndpoint::~HttpEndpoint() { mg_stop(static_cast<mg_context*>(server_)); }

}  // namespace tact::metrics
