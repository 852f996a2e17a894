// libFuzzer target: kv::parse_request (examples/kv/resp_parser.*) on arbitrary bytes.
// Checks, besides "no crash, no out-of-bounds read" (ASan/UBSan):
//   - kComplete consumes at least one byte and no more than it was given, and every
//     argument is a view inside the input;
//   - the parser is stateless and prefix-consistent: a complete frame parses the same
//     from a copy cut to exactly `consumed` bytes, and every shorter prefix of it is
//     kIncomplete (or the same error), never a different complete frame;
//   - kIncomplete's `needed`, when given, is more than the input's size.
// The first input byte picks small limits sometimes, so the limit paths are reached.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp_parser.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  kv::RespLimits limits;
  if ((data[0] & 0x80) != 0) {  // small limits for one input in two
    limits.max_bulk = 1u + (data[0] & 0x0F);
    limits.max_args = 1u + ((data[0] >> 4) & 0x07);
    limits.max_inline = 8;
  }
  ++data;
  --size;
  // A heap copy of exactly `size` bytes, so ASan catches a read one past the end.
  std::string buffer(reinterpret_cast<const char*>(data), size);
  const std::string_view input(buffer);
  std::vector<std::string_view> args;
  const kv::ParseResult r = kv::parse_request(input, limits, args);
  switch (r.status) {
    case kv::ParseStatus::kComplete: {
      check(r.consumed >= 1 && r.consumed <= size);
      for (std::string_view a : args) {
        check(a.data() >= input.data() && a.data() + a.size() <= input.data() + input.size());
      }
      const std::vector<std::string> whole(args.begin(), args.end());
      // The frame alone parses to the same arguments.
      std::string frame(input.substr(0, r.consumed));
      std::vector<std::string_view> again;
      const kv::ParseResult r2 = kv::parse_request(frame, limits, again);
      check(r2.status == kv::ParseStatus::kComplete && r2.consumed == r.consumed);
      check(std::vector<std::string>(again.begin(), again.end()) == whole);
      // Every proper prefix is incomplete (bounded: long frames check a sample).
      const std::size_t step = r.consumed > 256 ? r.consumed / 64 : 1;
      for (std::size_t n = 0; n < r.consumed; n += step) {
        std::string prefix(input.substr(0, n));
        std::vector<std::string_view> part;
        const kv::ParseResult rp = kv::parse_request(prefix, limits, part);
        check(rp.status != kv::ParseStatus::kComplete);
      }
      break;
    }
    case kv::ParseStatus::kIncomplete:
      check(r.needed == 0 || r.needed > size);
      break;
    case kv::ParseStatus::kError:
      check(!r.error.empty());
      break;
  }
  return 0;
}
