// How a message travels: one codec per message type, msgpack-cxx by default.
//
//   struct Inc { std::int64_t amount; MSGPACK_DEFINE(amount); };   // msgpack, by its members
//   struct Get {};                                                // empty: no bytes at all
//   class Counter {
//    public:
//     using remote_messages = tact::nats::messages<Inc, Get>;     // what a remote ref may send
//     std::int64_t handle(Inc);
//     std::int64_t handle(Get);
//   };
//
// A type has a codec when it is empty, arithmetic, std::string, has
// MSGPACK_DEFINE members, is marked tact::nats::use_msgpack<T> (it has msgpack
// adaptors of its own), or tact::nats::Codec<T> is specialised:
//
//   template <> struct tact::nats::Codec<Blob> {
//     static void encode(msgpack::sbuffer& out, const Blob& b);
//     static Blob decode(const char* data, std::size_t size);   // throws on bad bytes
//   };
//
// Every message type A lists, and every reply type its handlers return, must
// have one: lookup<A>/expose<A> fail to compile naming the type otherwise.
// On the wire a message's type is its name (MessageName<M>, the last token of
// the subject; docs/remote.md).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <msgpack.hpp>

namespace tact::nats {

// The message types an actor class takes from remote senders.
template <class... Ms>
struct messages {};

// A's list: A::remote_messages unless specialised.
template <class A>
struct remote_messages_of {
  using type = typename A::remote_messages;
};

// Mark a type msgpack-cxx can pack through adaptors of its own.
template <class T>
struct use_msgpack : std::false_type {};

template <class T>
concept MsgpackMembers = requires(const T& v, T& w, msgpack::packer<msgpack::sbuffer>& p,
                                  const msgpack::object& o) {
  v.msgpack_pack(p);
  w.msgpack_unpack(o);
};

template <class T>
concept DefaultMsgpack = (std::is_arithmetic_v<T> && !std::is_same_v<T, float> && !std::is_same_v<T, double>) ||
                         std::is_same_v<T, std::string> ||
                         MsgpackMembers<T> || use_msgpack<T>::value;

template <class T>
concept EmptyMessage = std::is_empty_v<T> && std::is_default_constructible_v<T> && !MsgpackMembers<T>;

// The codec of T: undefined (no codec) unless one of the rules above applies.
template <class T>
struct Codec;

namespace detail {
// msgpack bytes to a T (throws on bad bytes).
template <class T>
T msgpack_decode(const char* data, std::size_t size) {
  // One zone per thread, emptied after each message: no allocation per
  // message once it has grown to the messages' size.
  thread_local msgpack::zone zone;
  struct Clear {
    ~Clear() { zone.clear(); }
  } clear;
  // First a pass that allocates nothing: msgpack::unpack reserves an array's
  // or map's elements as their header announces, so 5 bytes claiming 2^32
  // elements would ask the zone for ~100 GB (test/fuzz/nats_wire_fuzz found
  // it). Once the bytes are known to hold every element they announce,
  // unpack allocates in proportion to them.
  msgpack::null_visitor complete;
  if (!msgpack::parse(data, size, complete)) throw msgpack::insufficient_bytes("tact::nats: truncated msgpack");
  const msgpack::object object = msgpack::unpack(zone, data, size);
  if constexpr (std::is_default_constructible_v<T>) {
    T value{};  // value-initialised: members msgpack leaves alone are not garbage
    object.convert(value);
    return value;
  } else {
    return object.template as<T>();
  }
}
}  // namespace detail

template <class T>
  requires DefaultMsgpack<T>
struct Codec<T> {
  static void encode(msgpack::sbuffer& out, const T& value) { msgpack::pack(out, value); }
  static T decode(const char* data, std::size_t size) { return detail::msgpack_decode<T>(data, size); }
};

// float and double: always a msgpack float32/float64, bit for bit. msgpack's own
// pack_double writes an integral double as an integer, and on the way casts
// 2^64 to uint64_t (undefined behaviour in msgpack-cxx 4.1.3, found by
// test/fuzz/nats_wire_fuzz). Decoding takes integers too.
template <class T>
  requires std::is_same_v<T, float> || std::is_same_v<T, double>
struct Codec<T> {
  static void encode(msgpack::sbuffer& out, const T& value) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    const Bits bits = std::bit_cast<Bits>(value);
    char bytes[1 + sizeof(T)];
    bytes[0] = static_cast<char>(sizeof(T) == 4 ? 0xca : 0xcb);
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      bytes[1 + i] = static_cast<char>((bits >> (8 * (sizeof(T) - 1 - i))) & 0xff);  // big-endian
    }
    out.write(bytes, sizeof(bytes));
  }
  static T decode(const char* data, std::size_t size) { return detail::msgpack_decode<T>(data, size); }
};

template <class T>
  requires EmptyMessage<T>
struct Codec<T> {
  static void encode(msgpack::sbuffer& /*out*/, const T& /*value*/) {}
  static T decode(const char* /*data*/, std::size_t /*size*/) { return T{}; }
};

template <class T>
concept HasCodec = requires(msgpack::sbuffer& out, const T& value, const char* data, std::size_t size) {
  Codec<T>::encode(out, value);
  { Codec<T>::decode(data, size) } -> std::same_as<T>;
};

// A message type's name on the wire: by default its C++ name as g++ spells it
// ("Inc", "app::Inc"), characters a NATS subject token cannot hold replaced by
// '_'. Specialise with `static std::string value() { return "inc"; }`.
template <class M>
struct MessageName {
  static std::string value() {
    std::string_view pretty = __PRETTY_FUNCTION__;
    const std::size_t from = pretty.find("M = ") + 4;
    const std::size_t to = pretty.find_first_of(";]", from);
    std::string name(pretty.substr(from, to - from));
    for (char& c : name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == ':' || c == '-';
      if (!ok) c = '_';
    }
    return name;
  }
};

}  // namespace tact::nats
