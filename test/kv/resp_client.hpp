// RespClient: a plain blocking socket client for the integration tests — what a
// test needs that redis-cli cannot do: write many requests (or broken ones) in one
// go, read replies one by one, and see the server close the connection.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv::test {

// A reply flattened for comparison: "+OK", "-ERR ...", ":42", the bulk's bytes,
// "(nil)", or "[a,b,(nil)]" for arrays.
using ReplyText = std::string;

class RespClient {
 public:
  explicit RespClient(int port);  // connects to 127.0.0.1:port (throws on failure)
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  // Writes all of `bytes` (throws on failure).
  void send_raw(std::string_view bytes);
  void send(const std::vector<std::string>& args);  // as one RESP request
  // Reads one reply; nullopt when the server closed the connection or `timeout`
  // passed first.
  std::optional<ReplyText> read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // send + read_reply, failing (throwing) on no reply.
  ReplyText call(const std::vector<std::string>& args);
  // True when the server closed the connection (EOF) within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void close();
  // Half-close: no more requests from us; replies still come.
  void shutdown_write();

  static std::string encode(const std::vector<std::string>& args);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // more bytes; false on EOF/timeout
  std::optional<ReplyText> parse_one(std::size_t& pos, std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> line(std::size_t& pos, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// Runs a shell command, returns its stdout (and exit status through `status`).
std::string run_shell(const std::string& command, int* status = nullptr);

}  // namespace kv::test
