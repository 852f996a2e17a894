#include "resp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace kv::test {

RespClient::RespClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect failed");
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RespClient::~RespClient() { close(); }

void RespClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RespClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

std::string RespClient::encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

void RespClient::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("send failed");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void RespClient::send(const std::vector<std::string>& args) { send_raw(encode(args)); }

bool RespClient::fill(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<std::string> RespClient::line(std::size_t& pos,
                                            std::chrono::steady_clock::time_point deadline) {
  std::size_t end;
  while ((end = buffer_.find("\r\n", pos)) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  std::string text = buffer_.substr(pos, end - pos);
  pos = end + 2;
  return text;
}

std::optional<ReplyText> RespClient::parse_one(std::size_t& pos,
                                               std::chrono::steady_clock::time_point deadline) {
  auto header = line(pos, deadline);
  if (!header || header->empty()) return std::nullopt;
  const char kind = (*header)[0];
  const std::string rest = header->substr(1);
  switch (kind) {
    case '+':
    case '-':
    case ':':
      return *header;
    case '$': {
      const long size = std::atol(rest.c_str());
      if (size < 0) return ReplyText("(nil)");
      const auto need = pos + static_cast<std::size_t>(size) + 2;
      while (buffer_.size() < need) {
        if (!fill(deadline)) return std::nullopt;
      }
      ReplyText bulk = buffer_.substr(pos, static_cast<std::size_t>(size));
      pos = need;
      return bulk;
    }
    case '*': {
      const long count = std::atol(rest.c_str());
      if (count < 0) return ReplyText("(nil)");
      ReplyText out = "[";
      for (long i = 0; i < count; ++i) {
        auto element = parse_one(pos, deadline);
        if (!element) return std::nullopt;
        out += (i ? "," : "") + *element;
      }
      return out + "]";
    }
    default:
      return ReplyText("?unexpected reply: " + *header);
  }
}

std::optional<ReplyText> RespClient::read_reply(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t pos = 0;
  auto reply = parse_one(pos, deadline);
  if (reply) buffer_.erase(0, pos);
  return reply;
}

ReplyText RespClient::call(const std::vector<std::string>& args) {
  send(args);
  auto reply = read_reply();
  if (!reply) throw std::runtime_error("no reply to " + args.front());
  return *reply;
}

bool RespClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n > 0) buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string run_shell(const std::string& command, int* status) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int rc = ::pclose(pipe);
  if (status != nullptr) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

}  // namespace kv::test
