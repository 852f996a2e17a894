// RESP2 reply encoders: each appends one reply to `out`, so a pipeline's replies
// build up in one buffer that goes out in one write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

void append_simple(std::string& out, std::string_view text);   // +text
void append_error(std::string& out, std::string_view message);  // -message
void append_integer(std::string& out, std::int64_t value);      // :value
void append_bulk(std::string& out, std::string_view bytes);     // $len bytes
void append_null_bulk(std::string& out);                        // $-1
void append_array_header(std::string& out, std::size_t count);  // *count

}  // namespace kv
