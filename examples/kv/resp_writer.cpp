#include "resp_writer.hpp"

#include <charconv>

namespace kv {
namespace {

void append_line(std::string& out, char kind, std::string_view text) {
  out += kind;
  out += text;
  out += "\r\n";
}

template <class Int>
void append_number_line(std::string& out, char kind, Int value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  append_line(out, kind, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

}  // namespace

void append_simple(std::string& out, std::string_view text) { append_line(out, '+', text); }

void append_error(std::string& out, std::string_view message) {
  // A simple string may not hold CR or LF: a message quoting client bytes must
  // not be able to end the reply early and forge another one.
  out += '-';
  for (char c : message) out += (c == '\r' || c == '\n') ? ' ' : c;
  out += "\r\n";
}

void append_integer(std::string& out, std::int64_t value) { append_number_line(out, ':', value); }

void append_bulk(std::string& out, std::string_view bytes) {
  append_number_line(out, '$', bytes.size());
  out += bytes;
  out += "\r\n";
}

void append_null_bulk(std::string& out) { out += "$-1\r\n"; }

void append_array_header(std::string& out, std::size_t count) {
  append_number_line(out, '*', count);
}

}  // namespace kv
