// The templates behind lookup<A> and expose<A>: a proxy cell's forwarding
// table (one entry per envelope function of each message A lists), and an
// exposed actor's inbound dispatch (one case per message name).
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <msgpack.hpp>

#include "tact/actor_ref.hpp"
#include "tact/detail/deadline_ask.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/detail/proxy.hpp"
#include "tact/errors.hpp"
#include "tact/nats/codec.hpp"
#include "tact/nats/detail/node_abi.hpp"
#include "tact/nats/errors.hpp"
#include "tact/outcome.hpp"

namespace tact::nats::detail {

using tact::detail::CellBase;
using tact::detail::Envelope;

// Instantiated only for a type without a codec, so that the compiler's first
// error line names it: "In instantiation of 'struct
// tact::nats::detail::remote_message_has_no_codec<Actor, Message>'".
// A variable template, so that clang's first error line names both types too
// ("static_assert failed due to requirement 'remote_message_has_codec<A, M>'").
template <class Actor, class Message>
inline constexpr bool remote_message_has_codec = HasCodec<Message>;
template <class Actor, class Message>
struct remote_message_has_no_codec {
  static_assert(remote_message_has_codec<Actor, Message>,
                "tact::nats: a message type (or a reply type) of the actor's remote_messages has no "
                "codec: give it MSGPACK_DEFINE(...), specialise tact::nats::use_msgpack<T> or "
                "tact::nats::Codec<T> (the types are named in the instantiation line above)");
};
template <class Actor, class Message>
struct remote_message_not_handled {
  static_assert(tact::detail::kHandles<Actor, Message>,
                "tact::nats: the actor's remote_messages lists a type it has no handle() for");
};

template <class A, class M>
constexpr bool check_message() {
  if constexpr (!tact::detail::kHandles<A, M>) {
    (void)remote_message_not_handled<A, M>{};
    return false;
  } else {
    using R = tact::detail::ReplyType<A, M>;
    if constexpr (!HasCodec<M>) {
      (void)remote_message_has_no_codec<A, M>{};
      return false;
    } else if constexpr (!std::is_void_v<R> && !HasCodec<R>) {
      (void)remote_message_has_no_codec<A, R>{};
      return false;
    } else {
      return true;
    }
  }
}

template <class A, class List>
struct RemoteClass;

// -- replies -----------------------------------------------------------------------------------
inline std::exception_ptr error_of(const ReplyResult& result) {
  const std::string text(result.data, result.size);
  switch (result.kind) {
    case ErrorKind::kStopped:
      return std::make_exception_ptr(ActorStopped());
    case ErrorKind::kFull:
      return std::make_exception_ptr(MailboxFull());
    case ErrorKind::kFailed:
      return std::make_exception_ptr(HandlerFailed(std::make_exception_ptr(RemoteError(text))));
    case ErrorKind::kTimeout:
      return std::make_exception_ptr(Timeout());
    case ErrorKind::kNodeDown:
      return std::make_exception_ptr(NodeDown());
    case ErrorKind::kBadMessage:
    case ErrorKind::kNone:
      break;
  }
  return std::make_exception_ptr(BadMessage("tact::nats: bad message: " + text));
}

template <class R>
void complete_reply(void* erased, const ReplyResult& result) noexcept {
  auto* slot = static_cast<tact::detail::ReplySlot<R>*>(erased);
  try {
    if (result.kind != ErrorKind::kNone) {
      slot->store_error(error_of(result));
    } else if constexpr (std::is_void_v<R>) {
      slot->store_value();
    } else {
      slot->store_value(Codec<R>::decode(result.data, result.size));
    }
  } catch (const std::exception& e) {
    slot->store_error(std::make_exception_ptr(BadMessage(std::string("tact::nats: undecodable reply: ") + e.what())));
  } catch (...) {
    slot->store_error(std::current_exception());
  }
  slot->publish();
}

// The encoding buffer of this thread (reused: one allocation per thread).
inline msgpack::sbuffer& scratch() noexcept {
  thread_local msgpack::sbuffer buffer;
  buffer.clear();
  return buffer;
}

// The node whose message this thread encodes or decodes: a ref inside a
// message is exposed on it (encode) or becomes one of its proxies (decode).
inline NodeImpl*& current_node() noexcept {
  thread_local NodeImpl* node = nullptr;
  return node;
}
struct CurrentNode {
  explicit CurrentNode(NodeImpl* node) noexcept : saved(std::exchange(current_node(), node)) {}
  ~CurrentNode() { current_node() = saved; }
  CurrentNode(const CurrentNode&) = delete;
  CurrentNode& operator=(const CurrentNode&) = delete;
  NodeImpl* saved;
};

// -- the proxy ---------------------------------------------------------------------------------
struct ProxyState;
using SendFn = bool (*)(const ProxyState& proxy, CellBase* cell, Envelope* envelope) noexcept;
struct ForwardEntry {
  Envelope::Fn fn;
  SendFn send;
};

struct ProxyState : tact::detail::ProxyObject {
  ProxyState(Forward f, std::shared_ptr<NodeImpl> n, std::string s, Outbox* o, const ForwardEntry* t,
             std::size_t c)
      : ProxyObject(f, &watched_proxy), node(std::move(n)), subject(std::move(s)), outbox(o), table(t), count(c) {}
  static void watched_proxy(ProxyObject* self, CellBase* cell) noexcept {
    auto* proxy = static_cast<ProxyState*>(self);
    node_watch(proxy->node.get(), cell, proxy->subject);
  }
  std::shared_ptr<NodeImpl> node;
  std::string subject;  // tact.<cluster>.actor.<name>
  Outbox* outbox;       // the subject's, as long as `node` lives
  const ForwardEntry* table;
  std::size_t count;
};

template <class M>
const std::string& wire_name() {
  static const std::string name = MessageName<M>::value();
  return name;
}

template <class A, class M>
bool send_tell(const ProxyState& proxy, CellBase* /*cell*/, Envelope* base) noexcept {
  auto* envelope = static_cast<tact::detail::TellEnvelope<A, M>*>(base);
  bool sent = false;
  try {
    CurrentNode current(proxy.node.get());
    msgpack::sbuffer& buffer = scratch();
    Codec<M>::encode(buffer, envelope->payload.msg);
    sent = node_tell(proxy.node.get(), proxy.outbox, wire_name<M>(), buffer.data(), buffer.size());
  } catch (...) {
    node_count_encode_error(proxy.node.get());
  }
  envelope->payload.msg.~M();
  delete envelope;
  return sent;
}

template <class M, class R>
void send_ask_with(const ProxyState& proxy, tact::detail::ReplySlot<R>* slot, const M& msg,
                   std::chrono::steady_clock::time_point deadline) noexcept {
  try {
    CurrentNode current(proxy.node.get());
    // The answer comes from another process: a get() parks at once.
    slot->park_without_spinning();
    msgpack::sbuffer& buffer = scratch();
    Codec<M>::encode(buffer, msg);
    node_ask(proxy.node.get(), proxy.outbox, wire_name<M>(), buffer.data(), buffer.size(), deadline,
             PendingReply{slot, &complete_reply<R>});
  } catch (...) {
    node_count_encode_error(proxy.node.get());
    slot->store_error(std::current_exception());
    slot->publish();
  }
}

template <class A, class M, class R>
bool send_ask(const ProxyState& proxy, CellBase* /*cell*/, Envelope* base) noexcept {
  auto* envelope = static_cast<tact::detail::AskEnvelope<A, M, R>*>(base);
  const auto deadline = std::chrono::steady_clock::now() + node_ask_timeout(proxy.node.get());
  send_ask_with<M, R>(proxy, envelope->slot, envelope->payload.msg, deadline);
  envelope->payload.msg.~M();
  delete envelope;
  return true;
}

template <class A, class M, class R>
bool send_deadline_ask(const ProxyState& proxy, CellBase* /*cell*/, Envelope* base) noexcept {
  auto* envelope = static_cast<tact::detail::DeadlineAskEnvelope<A, M, R>*>(base);
  tact::detail::DeadlineClaim<R>* claim = envelope->claim;
  // The node's own deadline takes over from the envelope's timer (which may have
  // answered Timeout already: then there is nothing to send).
  if (claim->claim()) {
    envelope->timer.cancel();
    send_ask_with<M, R>(proxy, claim->slot, envelope->payload.msg, envelope->deadline);
  }
  envelope->payload.msg.~M();
  claim->release();  // as the envelope's kFree
  delete envelope;
  return true;
}

template <class A, class... Ms>
struct RemoteClass<A, messages<Ms...>> {
  static constexpr bool kValid = (check_message<A, Ms>() && ...);

  template <class M>
  using R = tact::detail::ReplyType<A, M>;

  static constexpr ForwardEntry kTable[] = {
      {&tact::detail::TellEnvelope<A, Ms>::run, &send_tell<A, Ms>}...,
      {&tact::detail::AskEnvelope<A, Ms, R<Ms>>::run, &send_ask<A, Ms, R<Ms>>}...,
      {&tact::detail::DeadlineAskEnvelope<A, Ms, R<Ms>>::run, &send_deadline_ask<A, Ms, R<Ms>>}...,
  };

  static bool forward(tact::detail::ProxyObject* self, CellBase* cell, Envelope* envelope) noexcept {
    const auto* proxy = static_cast<const ProxyState*>(self);
    for (const ForwardEntry& entry : kTable) {
      if (entry.fn == envelope->fn) return entry.send(*proxy, cell, envelope);
    }
    tact::detail::proxy_reject(cell, envelope);  // a stop, a kill: nothing to carry
    return false;
  }

  static void destroy(void* object) noexcept { static_cast<ProxyState*>(object)->~ProxyState(); }
  static constexpr tact::detail::ActorVTable kProxyVTable{
      &destroy, nullptr, nullptr, sizeof(ProxyState), alignof(ProxyState), 0,
      tact::detail::type_name<A>(), nullptr, {}};

  static ActorRef<A> make_proxy(NodeImpl* node, std::string subject) {
    CellBase* cell = tact::detail::cell_allocate(node_runtime(node), &kProxyVTable);
    try {
      Outbox* outbox = node_outbox(node, subject);
      ::new (tact::detail::cell_object(cell))
          ProxyState(&forward, node_share(node), std::move(subject), outbox, kTable, std::size(kTable));
    } catch (...) {
      tact::detail::cell_abandon(cell);
      throw;
    }
    return tact::detail::RefAccess<A>::adopt(tact::detail::proxy_activate(cell));
  }

  // -- inbound ---------------------------------------------------------------------------
  class Inbound final : public Exposure {
   public:
    Inbound(NodeImpl* node, ActorRef<A> ref) : node_(node), ref_(std::move(ref)) {}
    CellBase* cell() const noexcept override { return tact::detail::RefAccess<A>::cell(ref_); }
    void deliver(std::string_view type, const char* data, std::size_t size, const char* reply,
                 std::chrono::steady_clock::time_point deadline) noexcept override {
      const bool known = (try_deliver<Ms>(type, data, size, reply, deadline) || ...);
      if (!known) {
        node_count_bad_message(node_);
        if (reply != nullptr) {
          node_reply_error(node_, reply, ErrorKind::kBadMessage,
                           "unknown message type '" + std::string(type) + "'");
        }
      }
    }

   private:
    template <class M>
    bool try_deliver(std::string_view type, const char* data, std::size_t size, const char* reply,
                     std::chrono::steady_clock::time_point deadline) noexcept {
      if (type != wire_name<M>()) return false;
      try {
        CurrentNode current(node_);
        M msg = Codec<M>::decode(data, size);
        if (reply == nullptr) {
          (void)ref_.tell(std::move(msg));
        } else {
          auto answer_to = [node = node_share(node_), to = std::string(reply)](Outcome<R<M>> outcome) {
            answer<R<M>>(node.get(), to.c_str(), std::move(outcome));
          };
          // The asker's deadline holds here too: a request still queued when
          // the asker gives up is never handled (Timeout, requests_expired).
          if (deadline == std::chrono::steady_clock::time_point::max()) {
            ref_.ask(std::move(msg)).then(std::move(answer_to));
          } else {
            ref_.ask(std::move(msg), Deadline{deadline}).then(std::move(answer_to));
          }
        }
      } catch (const std::exception& e) {
        node_count_bad_message(node_);
        if (reply != nullptr) node_reply_error(node_, reply, ErrorKind::kBadMessage, e.what());
      } catch (...) {
        node_count_bad_message(node_);
        if (reply != nullptr) node_reply_error(node_, reply, ErrorKind::kBadMessage, "undecodable");
      }
      return true;
    }

    NodeImpl* node_;
    ActorRef<A> ref_;
  };

  template <class Rv>
  static void answer(NodeImpl* node, const char* to, Outcome<Rv> outcome) noexcept {
    if (!outcome.has_value()) {
      answer_error(node, to, outcome.error());
      return;
    }
    try {
      CurrentNode current(node);
      msgpack::sbuffer& buffer = scratch();
      if constexpr (!std::is_void_v<Rv>) Codec<Rv>::encode(buffer, outcome.value());
      node_reply_value(node, to, buffer.data(), buffer.size());
    } catch (const std::exception& e) {
      node_count_encode_error(node);
      node_reply_error(node, to, ErrorKind::kBadMessage, e.what());
    }
  }

  static void answer_error(NodeImpl* node, const char* to, const std::exception_ptr& error) noexcept {
    try {
      std::rethrow_exception(error);
    } catch (const HandlerFailed& e) {
      std::string text = "unknown exception";
      try {
        e.rethrow_cause();
      } catch (const std::exception& cause) {
        text = cause.what();
      } catch (...) {
      }
      node_reply_error(node, to, ErrorKind::kFailed, text);
    } catch (const ActorStopped& e) {
      node_reply_error(node, to, ErrorKind::kStopped, e.what());
    } catch (const MailboxFull& e) {
      node_reply_error(node, to, ErrorKind::kFull, e.what());
    } catch (const Timeout& e) {
      node_reply_error(node, to, ErrorKind::kTimeout, e.what());
    } catch (const std::exception& e) {
      node_reply_error(node, to, ErrorKind::kFailed, e.what());
    } catch (...) {
      node_reply_error(node, to, ErrorKind::kFailed, "unknown exception");
    }
  }
};

template <class A>
using RemoteOf = RemoteClass<A, typename remote_messages_of<A>::type>;

// -- refs inside messages ------------------------------------------------------------------
// On the wire a ref is its actor's subject prefix, tact.<cluster>.actor.<name>
// (a msgpack string; nil for an empty ref). A remote ref keeps its subject; a
// local actor is exposed on the sending node under a generated name, once, for
// as long as that node is open.
template <class B>
std::string ref_subject(const ActorRef<B>& ref) {
  using Remote = RemoteOf<B>;
  CellBase* cell = tact::detail::RefAccess<B>::cell(ref);
  if (cell->proxy) {
    auto* object = static_cast<tact::detail::ProxyObject*>(tact::detail::cell_object(cell));
    if (object->forward == &Remote::forward) return static_cast<const ProxyState*>(object)->subject;
  }
  NodeImpl* node = current_node();
  if (node == nullptr) throw BadMessage("tact::nats: a ref encoded outside a node's message");
  return node_ref_subject(node, cell, std::make_unique<typename Remote::Inbound>(node, ref));
}

template <class B>
ActorRef<B> ref_from_subject(std::string subject) {
  NodeImpl* node = current_node();
  if (node == nullptr) throw BadMessage("tact::nats: a ref decoded outside a node's message");
  return RemoteOf<B>::make_proxy(node, std::move(subject));
}

}  // namespace tact::nats::detail

namespace tact::nats {
template <class B>
struct use_msgpack<ActorRef<B>> : std::true_type {};
}  // namespace tact::nats

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {

template <class B>
struct pack<tact::ActorRef<B>> {
  template <class Stream>
  packer<Stream>& operator()(packer<Stream>& out, const tact::ActorRef<B>& ref) const {
    if (!ref) return out.pack_nil();
    return out.pack(tact::nats::detail::ref_subject(ref));
  }
};

template <class B>
struct convert<tact::ActorRef<B>> {
  const msgpack::object& operator()(const msgpack::object& o, tact::ActorRef<B>& ref) const {
    if (o.type == msgpack::type::NIL) {
      ref.reset();
    } else {
      ref = tact::nats::detail::ref_from_subject<B>(o.as<std::string>());
    }
    return o;
  }
};

}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
