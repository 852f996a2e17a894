// What the tact-kv integration tests share: the redis-cli command line for a
// server, and a check that redis-cli is installed (scripts/setup.sh installs
// redis-tools; a missing client is a failure, not a skip).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "kv_process.hpp"
#include "resp_client.hpp"

namespace kv::test {

inline std::string redis_cli(const KvProcess& server) {
  return "timeout 60 redis-cli -h 127.0.0.1 -p " + std::to_string(server.port());
}

inline void require_redis_cli() {
  int status = 0;
  run_shell("command -v redis-cli >/dev/null 2>&1", &status);
  ASSERT_EQ(status, 0) << "redis-cli is not installed (scripts/setup.sh installs redis-tools)";
}

}  // namespace kv::test
