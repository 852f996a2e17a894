// parse_request on hand-written frames: valid multibulk and inline requests,
// frames cut anywhere (fed byte by byte), garbage, and the configured limits.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "resp_parser.hpp"

namespace kv {
namespace {

using Args = std::vector<std::string_view>;

struct Parsed {
  ParseResult result;
  Args args;
};

Parsed parse(std::string_view input, const RespLimits& limits = {}) {
  Parsed p;
  p.result = parse_request(input, limits, p.args);
  return p;
}

std::vector<std::string> strings(const Args& args) { return {args.begin(), args.end()}; }

TEST(RespParser, MultibulkRequest) {
  const std::string frame = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  const std::string input = frame + "*1\r\n$4\r\nPING\r\n";  // args point into it
  Parsed p = parse(input);
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.result.consumed, frame.size());
  EXPECT_EQ(strings(p.args), (std::vector<std::string>{"SET", "key", "value"}));
}

TEST(RespParser, BulkStringsAreBinarySafe) {
  const std::string value("a\r\n\0b$*", 7);
  const std::string frame = "*2\r\n$4\r\nECHO\r\n$7\r\n" + value + "\r\n";
  Parsed p = parse(frame);
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  ASSERT_EQ(p.args.size(), 2u);
  EXPECT_EQ(p.args[1], value);
  EXPECT_EQ(p.result.consumed, frame.size());
}

TEST(RespParser, EmptyBulkAndEmptyArray) {
  Parsed p = parse("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(strings(p.args), (std::vector<std::string>{"ECHO", ""}));
  for (std::string_view empty : {"*0\r\n", "*-1\r\n"}) {
    Parsed e = parse(empty);
    ASSERT_EQ(e.result.status, ParseStatus::kComplete) << empty;
    EXPECT_EQ(e.result.consumed, empty.size());
    EXPECT_TRUE(e.args.empty());
  }
}

TEST(RespParser, InlineCommands) {
  Parsed p = parse("  SET\tkey  value \r\nPING\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(strings(p.args), (std::vector<std::string>{"SET", "key", "value"}));
  EXPECT_EQ(p.result.consumed, std::string_view("  SET\tkey  value \r\n").size());

  Parsed bare = parse("PING\n");
  ASSERT_EQ(bare.result.status, ParseStatus::kComplete);
  EXPECT_EQ(strings(bare.args), (std::vector<std::string>{"PING"}));

  Parsed blank = parse("\r\n");
  ASSERT_EQ(blank.result.status, ParseStatus::kComplete);
  EXPECT_TRUE(blank.args.empty());
  EXPECT_EQ(blank.result.consumed, 2u);
}

// Every proper prefix of a frame is incomplete; the whole frame is complete.
TEST(RespParser, TruncatedFramesFedByteByByte) {
  const std::vector<std::string> frames = {
      "*3\r\n$3\r\nSET\r\n$10\r\nkey:000001\r\n$3\r\nxyz\r\n",
      "*1\r\n$4\r\nPING\r\n",
      "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
      "GET foo\r\n",
  };
  for (const std::string& frame : frames) {
    for (std::size_t n = 0; n < frame.size(); ++n) {
      Parsed p = parse(std::string_view(frame).substr(0, n));
      EXPECT_EQ(p.result.status, ParseStatus::kIncomplete) << "prefix " << n << " of " << frame;
    }
    Parsed whole = parse(frame);
    EXPECT_EQ(whole.result.status, ParseStatus::kComplete) << frame;
    EXPECT_EQ(whole.result.consumed, frame.size());
  }
}

TEST(RespParser, IncompleteBulkSaysHowMuchItNeeds) {
  const std::string frame = "*2\r\n$4\r\nECHO\r\n$100\r\n" + std::string(100, 'v') + "\r\n";
  Parsed p = parse(std::string_view(frame).substr(0, 30));
  ASSERT_EQ(p.result.status, ParseStatus::kIncomplete);
  EXPECT_EQ(p.result.needed, frame.size());
}

TEST(RespParser, GarbageIsAProtocolError) {
  const std::vector<std::string> garbage = {
      "*x\r\n",                         // count not a number
      "*1\r\n#4\r\nPING\r\n",           // not a bulk string
      "*1\r\n$-5\r\n",                  // negative bulk length
      "*1\r\n$4\r\nPINGxx",             // no CRLF after the bulk
      "*1\r\n$abc\r\n",                 // bulk length not a number
      "*1\n$4\r\nPING\r\n",             // bare LF in a header
      "*2\r\n$3\r\nGET\r\n+OK\r\n",     // a simple string where a bulk belongs
      "*99999999999999999999\r\n",      // count too long to be a number
  };
  for (const std::string& g : garbage) {
    Parsed p = parse(g);
    EXPECT_EQ(p.result.status, ParseStatus::kError) << g;
    EXPECT_FALSE(p.result.error.empty()) << g;
  }
}

TEST(RespParser, HeaderWithoutEndIsRefusedOnceTooLong) {
  EXPECT_EQ(parse("*1234").result.status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse("*" + std::string(100, '1')).result.status, ParseStatus::kError);
  EXPECT_EQ(parse("*1\r\n$" + std::string(100, '1')).result.status, ParseStatus::kError);
}

TEST(RespParser, LimitsAreCheckedBeforeTheBodyArrives) {
  RespLimits limits;
  limits.max_bulk = 16;
  limits.max_args = 3;
  limits.max_inline = 32;
  // Exactly at the limits: fine.
  Parsed ok = parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16\r\n" + std::string(16, 'v') + "\r\n", limits);
  EXPECT_EQ(ok.result.status, ParseStatus::kComplete);
  // One past: an error as soon as the header is there, without the body.
  Parsed bulk = parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$17\r\n", limits);
  EXPECT_EQ(bulk.result.status, ParseStatus::kError);
  EXPECT_NE(bulk.result.error.find("bulk length"), std::string::npos) << bulk.result.error;
  Parsed args = parse("*4\r\n", limits);
  EXPECT_EQ(args.result.status, ParseStatus::kError);
  EXPECT_NE(args.result.error.find("multibulk length"), std::string::npos) << args.result.error;
  Parsed line = parse(std::string(40, 'a'), limits);
  EXPECT_EQ(line.result.status, ParseStatus::kError);
  Parsed inline_args = parse("a b c d\r\n", limits);
  EXPECT_EQ(inline_args.result.status, ParseStatus::kError);
}

}  // namespace
}  // namespace kv
