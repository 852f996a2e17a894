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

#include <cstddef>
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
concept DefaultMsgpack = std::is_arithmetic_v<T> || std::is_same_v<T, std::string> ||
                         MsgpackMembers<T> || use_msgpack<T>::value;

template <class T>
concept EmptyMessage = std::is_empty_v<T> && std::is_default_constructible_v<T> && !MsgpackMembers<T>;

// The codec of T: undefined (no codec) unless one of the rules above applies.
template <class T>
struct Codec;

template <class T>
  requires DefaultMsgpack<T>
struct Codec<T> {
  static void encode(msgpack::sbuffer& out, const T& value) { msgpack::pack(out, value); }
  static T decode(const char* data, std::size_t size) {
    // One zone per thread, emptied after each message: no allocation per
    // message once it has grown to the messages' size.
    thread_local msgpack::zone zone;
    struct Clear {
      ~Clear() { zone.clear(); }
    } clear;
    const msgpack::object object = msgpack::unpack(zone, data, size);
    if constexpr (std::is_default_constructible_v<T>) {
      T value{};  // value-initialised: members msgpack leaves alone are not garbage
      object.convert(value);
      return value;
    } else {
      return object.template as<T>();
    }
  }
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
