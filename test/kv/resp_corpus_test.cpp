// parse_request against a seeded, generated corpus: valid frames must parse to
// exactly the arguments they encode, whole or cut at any point and resumed; mutated
// frames (bytes flipped, inserted, deleted, cut) must never crash, never read past
// the input (ASan checks that), and never consume more than they were given.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "resp_parser.hpp"

namespace kv {
namespace {

using Words = std::vector<std::string>;

std::string encode(const Words& words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const std::string& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
}

Words random_words(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> count(1, 6), size(0, 40), byte(0, 255), kind(0, 3);
  Words words(static_cast<std::size_t>(count(rng)));
  for (std::string& w : words) {
    w.resize(static_cast<std::size_t>(size(rng)));
    const int k = kind(rng);
    for (char& c : w) {
      // Mostly printable, sometimes the bytes that matter to the framing.
      const int b = k == 0 ? byte(rng) : (k == 1 ? "\r\n$*0"[byte(rng) % 5] : 'a' + byte(rng) % 26);
      c = static_cast<char>(b);
    }
  }
  return words;
}

constexpr std::uint64_t kSeed = 20261126;
constexpr int kFrames = 3000;

TEST(RespCorpus, ValidFramesParseExactly) {
  std::mt19937_64 rng(kSeed);
  std::vector<std::string_view> args;
  for (int i = 0; i < kFrames; ++i) {
    const Words words = random_words(rng);
    const std::string frame = encode(words);
    ParseResult r = parse_request(frame, RespLimits{}, args);
    ASSERT_EQ(r.status, ParseStatus::kComplete) << "frame " << i;
    ASSERT_EQ(r.consumed, frame.size());
    ASSERT_EQ(Words(args.begin(), args.end()), words) << "frame " << i;
  }
}

// A stream of frames delivered in random-sized chunks, parsed the way an I/O
// thread does (buffer what is left, retry on more): the same requests come out.
TEST(RespCorpus, ChunkedStreamYieldsTheSameRequests) {
  std::mt19937_64 rng(kSeed + 1);
  std::vector<Words> sent;
  std::string stream;
  for (int i = 0; i < kFrames; ++i) {
    sent.push_back(random_words(rng));
    stream += encode(sent.back());
  }
  std::uniform_int_distribution<std::size_t> chunk(1, 64);
  std::vector<Words> got;
  std::string buffer;
  std::vector<std::string_view> args;
  for (std::size_t pos = 0; pos < stream.size();) {
    const std::size_t n = std::min(chunk(rng), stream.size() - pos);
    buffer.append(stream, pos, n);
    pos += n;
    for (;;) {
      ParseResult r = parse_request(buffer, RespLimits{}, args);
      ASSERT_NE(r.status, ParseStatus::kError) << r.error;
      if (r.status == ParseStatus::kIncomplete) break;
      got.emplace_back(args.begin(), args.end());
      buffer.erase(0, r.consumed);
    }
  }
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(got, sent);
}

TEST(RespCorpus, MutatedFramesNeverCrash) {
  std::mt19937_64 rng(kSeed + 2);
  std::uniform_int_distribution<int> byte(0, 255), op(0, 3);
  RespLimits limits;
  limits.max_bulk = 64;
  limits.max_args = 8;
  limits.max_inline = 256;
  std::vector<std::string_view> args;
  int complete = 0, errors = 0, incomplete = 0;
  for (int i = 0; i < kFrames * 5; ++i) {
    std::string frame = encode(random_words(rng));
    const int mutations = 1 + byte(rng) % 4;
    for (int m = 0; m < mutations && !frame.empty(); ++m) {
      const std::size_t at = static_cast<std::size_t>(byte(rng)) % frame.size();
      switch (op(rng)) {
        case 0: frame[at] = static_cast<char>(byte(rng)); break;
        case 1: frame.insert(at, 1, "\r\n$*-9"[byte(rng) % 6]); break;
        case 2: frame.erase(at, 1); break;
        default: frame.resize(at); break;
      }
    }
    // A private copy exactly the input's size, so ASan sees any over-read.
    const std::vector<char> exact(frame.begin(), frame.end());
    const std::string_view input(exact.data(), exact.size());
    ParseResult r = parse_request(input, limits, args);
    switch (r.status) {
      case ParseStatus::kComplete:
        ++complete;
        ASSERT_LE(r.consumed, input.size());
        ASSERT_GT(r.consumed, 0u);
        ASSERT_LE(args.size(), limits.max_args);
        for (std::string_view a : args) {
          // Inline words are bounded by the line (max_inline), bulk strings by max_bulk.
          if (input.front() == '*') {
            ASSERT_LE(a.size(), limits.max_bulk);
          }
          ASSERT_GE(a.data(), input.data());
          ASSERT_LE(a.data() + a.size(), input.data() + input.size());
        }
        break;
      case ParseStatus::kError:
        ++errors;
        ASSERT_FALSE(r.error.empty());
        break;
      case ParseStatus::kIncomplete:
        ++incomplete;
        break;
    }
  }
  // The mutations must actually reach every outcome, or the corpus tests nothing.
  EXPECT_GT(complete, 0);
  EXPECT_GT(errors, 0);
  EXPECT_GT(incomplete, 0);
}

}  // namespace
}  // namespace kv
