// tact-kv driven by redis-cli and by raw RESP: every command's reply, values that
// round-trip byte for byte, expiry, multi-key commands across shards, and
// pipelined requests answered in order.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kv_test_support.hpp"
#include "support/watchdog.hpp"

namespace kv::test {
namespace {

using tact::test::Watchdog;

TEST(KvCommands, RedisCliRoundTrip) {
  Watchdog dog("redis-cli round trip", std::chrono::seconds(120));
  require_redis_cli();
  KvProcess server;
  const std::string cli = redis_cli(server);
  EXPECT_EQ(run_shell(cli + " ping"), "PONG\n");
  EXPECT_EQ(run_shell(cli + " set greeting 'hello world'"), "OK\n");
  EXPECT_EQ(run_shell(cli + " get greeting"), "hello world\n");
  EXPECT_EQ(run_shell(cli + " echo abc"), "abc\n");
  EXPECT_EQ(run_shell(cli + " incrby counter 41"), "41\n");
  EXPECT_EQ(run_shell(cli + " incr counter"), "42\n");
  EXPECT_EQ(run_shell(cli + " exists greeting counter nothing"), "2\n");
  EXPECT_EQ(run_shell(cli + " del greeting nothing"), "1\n");
  EXPECT_EQ(run_shell(cli + " --no-raw get greeting"), "(nil)\n");
  EXPECT_EQ(run_shell(cli + " config get save"), "save\n\n");
  EXPECT_NE(run_shell(cli + " nosuchcommand 2>&1").find("unknown command"), std::string::npos);
}

TEST(KvCommands, BinarySafeValuesRoundTrip) {
  Watchdog dog("binary values", std::chrono::seconds(120));
  require_redis_cli();
  KvProcess server;
  std::string value;
  for (int i = 0; i < 256; ++i) value += static_cast<char>(i);
  value += "\r\n$3\r\n*1\r\n";
  const std::string path = ::testing::TempDir() + "kv_binary_value";
  std::ofstream(path, std::ios::binary) << value;
  EXPECT_EQ(run_shell(redis_cli(server) + " -x set bin < " + path), "OK\n");
  EXPECT_EQ(run_shell(redis_cli(server) + " --raw get bin"), value + "\n");
  std::remove(path.c_str());
  // And over a raw socket, with a large value.
  RespClient client(server.port());
  const std::string big(1 << 20, 'x');
  EXPECT_EQ(client.call({"SET", "big", big}), "+OK");
  EXPECT_EQ(client.call({"GET", "big"}), big);
  EXPECT_EQ(client.call({"GET", "bin"}), value);
}

TEST(KvCommands, ReplyShapes) {
  Watchdog dog("reply shapes", std::chrono::seconds(60));
  KvProcess server;
  RespClient c(server.port());
  EXPECT_EQ(c.call({"PING"}), "+PONG");
  EXPECT_EQ(c.call({"PING", "x y"}), "x y");
  EXPECT_EQ(c.call({"GET", "missing"}), "(nil)");
  EXPECT_EQ(c.call({"SET", "n", "10"}), "+OK");
  EXPECT_EQ(c.call({"INCRBY", "n", "-15"}), ":-5");
  EXPECT_EQ(c.call({"DECR", "n"}), ":-6");
  EXPECT_EQ(c.call({"SET", "s", "abc"}), "+OK");
  EXPECT_EQ(c.call({"INCR", "s"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(c.call({"SET", "max", "9223372036854775807"}), "+OK");
  EXPECT_EQ(c.call({"INCR", "max"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(c.call({"GET"}), "-ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(c.call({"SET", "k", "v", "EX"}), "-ERR syntax error");
  EXPECT_EQ(c.call({"SET", "k", "v", "EX", "0"}), "-ERR invalid expire time in 'set' command");
  EXPECT_EQ(c.call({"CONFIG", "GET", "appendonly"}), "[appendonly,no]");
  EXPECT_EQ(c.call({"CONFIG", "GET", "maxmemory"}), "[]");
  EXPECT_EQ(c.call({"COMMAND", "DOCS"}), "[]");
  EXPECT_EQ(c.call({"SELECT", "0"}), "+OK");
  c.send_raw("PING\r\n");  // inline, as telnet sends it
  EXPECT_EQ(c.read_reply(), "+PONG");
  EXPECT_EQ(c.call({"QUIT"}), "+OK");
  EXPECT_TRUE(c.wait_closed());
}

TEST(KvCommands, SetExpiresWithExAndPx) {
  Watchdog dog("expiry", std::chrono::seconds(60));
  KvProcess server;
  RespClient c(server.port());
  using Clock = std::chrono::steady_clock;
  constexpr auto kTtl = std::chrono::milliseconds(1000);
  const Clock::time_point set_at = Clock::now();
  EXPECT_EQ(c.call({"SET", "short", "v", "PX", "1000"}), "+OK");
  EXPECT_EQ(c.call({"SET", "long", "v", "EX", "100"}), "+OK");
  const std::string early = c.call({"GET", "short"});
  // Only a GET that surely ran before the deadline must see the value (a sanitizer
  // build on a busy machine may be slower than the TTL).
  if (Clock::now() - set_at < kTtl) {
    EXPECT_EQ(early, "v");
  }
  std::this_thread::sleep_until(set_at + kTtl + std::chrono::milliseconds(300));
  EXPECT_EQ(c.call({"GET", "short"}), "(nil)");
  EXPECT_EQ(c.call({"EXISTS", "short"}), ":0");
  EXPECT_EQ(c.call({"GET", "long"}), "v");
  // A plain SET clears the time to live.
  const Clock::time_point reset_at = Clock::now();
  EXPECT_EQ(c.call({"SET", "short", "w", "PX", "1000"}), "+OK");
  EXPECT_EQ(c.call({"SET", "short", "again"}), "+OK");
  std::this_thread::sleep_until(reset_at + kTtl + std::chrono::milliseconds(300));
  EXPECT_EQ(c.call({"GET", "short"}), "again");
}

// Keys that expire and are never touched again are still reclaimed: each shard
// batch sweeps a few table slots.
TEST(KvCommands, ExpiredKeysAreSweptWithoutBeingTouched) {
  Watchdog dog("active expiry", std::chrono::seconds(60));
  KvProcess server({"--shards", "1"});
  RespClient c(server.port());
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(c.call({"SET", "ttl:" + std::to_string(i), "v", "PX", "100"}), "+OK");
  }
  EXPECT_EQ(c.call({"SET", "kept", "v"}), "+OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Each request below is its own batch (we wait for each reply), each sweeping
  // 16 of the table's 256 slots: 100 batches pass over it several times.
  for (int i = 0; i < 100; ++i) ASSERT_EQ(c.call({"EXISTS", "kept"}), ":1");
  EXPECT_EQ(c.call({"DBSIZE"}), ":1");
}

TEST(KvCommands, MultiKeyCommandsGatherAcrossShards) {
  Watchdog dog("mget/mset across shards", std::chrono::seconds(60));
  KvProcess server({"--shards", "8", "--workers", "2"});
  RespClient c(server.port());
  std::vector<std::string> mset{"MSET"}, mget{"MGET"};
  std::string expected = "[";
  for (int i = 0; i < 200; ++i) {
    mset.push_back("key:" + std::to_string(i));
    mset.push_back("value:" + std::to_string(i * 7));
    mget.push_back("key:" + std::to_string(i));
    if (i % 50 == 0) mget.push_back("absent:" + std::to_string(i));
    expected += (i ? "," : "") + std::string(i % 50 == 0 ? "value:" + std::to_string(i * 7) + ",(nil)"
                                                           : "value:" + std::to_string(i * 7));
  }
  expected += "]";
  EXPECT_EQ(c.call(mset), "+OK");
  EXPECT_EQ(c.call(mget), expected);
  EXPECT_EQ(c.call({"DBSIZE"}), ":200");
  EXPECT_EQ(c.call({"EXISTS", "key:1", "key:2", "absent:0", "key:1"}), ":3");
  EXPECT_EQ(c.call({"DEL", "key:1", "key:2", "absent:0"}), ":2");
  EXPECT_EQ(c.call({"DBSIZE"}), ":198");
  EXPECT_EQ(c.call({"FLUSHALL"}), "+OK");
  EXPECT_EQ(c.call({"DBSIZE"}), ":0");
  EXPECT_EQ(c.call({"MSET", "a"}), "-ERR wrong number of arguments for 'mset' command");
}

// Many requests in one write, mixing commands answered at once (ECHO) with ones a
// shard answers (INCR, GET on several shards): the replies must come back in
// request order.
TEST(KvCommands, PipelinedRepliesComeInRequestOrder) {
  Watchdog dog("pipeline order", std::chrono::seconds(120));
  KvProcess server({"--shards", "4", "--workers", "2"});
  RespClient c(server.port());
  constexpr int kRequests = 20000;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    switch (i % 3) {
      case 0: batch += RespClient::encode({"INCR", "seq"}); break;
      case 1: batch += RespClient::encode({"ECHO", std::to_string(i)}); break;
      default: batch += RespClient::encode({"SET", "k" + std::to_string(i % 17), std::to_string(i)});
    }
  }
  std::thread writer([&] { c.send_raw(batch); });  // the server answers while we write
  long incr = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto reply = c.read_reply();
    ASSERT_TRUE(reply) << "reply " << i << " missing";
    switch (i % 3) {
      case 0: ASSERT_EQ(*reply, ":" + std::to_string(++incr)) << "reply " << i; break;
      case 1: ASSERT_EQ(*reply, std::to_string(i)) << "reply " << i; break;
      default: ASSERT_EQ(*reply, "+OK") << "reply " << i;
    }
  }
  writer.join();
}

TEST(KvCommands, RedisCliPipeMode) {
  Watchdog dog("redis-cli --pipe", std::chrono::seconds(120));
  require_redis_cli();
  KvProcess server;
  const std::string path = ::testing::TempDir() + "kv_pipe_input";
  {
    std::ofstream input(path, std::ios::binary);
    for (int i = 0; i < 10000; ++i) input << RespClient::encode({"SET", "p" + std::to_string(i), "v"});
  }
  const std::string out = run_shell(redis_cli(server) + " --pipe < " + path + " 2>&1");
  std::remove(path.c_str());
  EXPECT_NE(out.find("errors: 0, replies: 10000"), std::string::npos) << out;
  EXPECT_EQ(run_shell(redis_cli(server) + " dbsize"), "10000\n");
}

// INFO, as `redis-cli info` prints it: the shards' metrics from the runtime.
TEST(KvCommands, InfoReportsTheShardsMetrics) {
  require_redis_cli();
  KvProcess server;
  const std::string cli = redis_cli(server);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(run_shell(cli + " set key" + std::to_string(i) + " v"), "OK\n");
  const std::string info = run_shell(cli + " info");
  EXPECT_NE(info.find("# Shards"), std::string::npos) << info;
  // One shard (the default: one per worker); each SET is one batch, one message.
  EXPECT_NE(info.find("shards_actors:1\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("shards_messages:20\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("shards_handler_p99_us:"), std::string::npos) << info;
  EXPECT_NE(info.find("class_0:name=kv.shard,messages=20,"), std::string::npos) << info;
}

}  // namespace
}  // namespace kv::test
