// The boundary between tact::nats's templates (lookup<A>, expose<A>) and
// libtact_nats.a, as runtime_abi.hpp is for the core: every call the templates
// make out of line is declared here. The connection, the subscriptions and the
// table of outstanding asks stay private to src/nats/.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tact/detail/cell.hpp"
#include "tact/fwd.hpp"

namespace tact::nats::detail {

class NodeImpl;
// The tells waiting to go to one remote actor, and the order of what goes to it
// (src/nats/outbox.cpp): one per actor subject, for as long as its node lives.
struct Outbox;

// Why a remote ask did not bring a value (docs/remote.md, header Tact-Error).
enum class ErrorKind : unsigned char {
  kNone,        // a value: the body is R's encoding
  kStopped,     // the actor had stopped, or no actor has the name (no responders)
  kFull,        // its bounded mailbox refused the request
  kFailed,      // its handler threw: the body is the exception's what()
  kTimeout,     // no answer before the ask's deadline
  kBadMessage,  // one side could not decode the other's bytes
  kNodeDown,    // this node closed, or lost the connection for good
};

// What came back for one ask; for an error, `data` is the text.
struct ReplyResult {
  ErrorKind kind;
  const char* data;
  std::size_t size;
};

// One outstanding ask's reply slot, type-erased: complete() runs exactly once.
struct PendingReply {
  void* slot;
  void (*complete)(void* slot, const ReplyResult& result) noexcept;
};

// An exposed actor: its subscription's callback hands each message here, on
// the NATS delivery thread. `type` is the subject's last token; `reply` is
// null for a tell; `deadline` is the asker's (its reply subject's td<ms> token,
// or the header Tact-Deadline), max() if the ask came without one.
class Exposure {
 public:
  virtual ~Exposure() = default;
  virtual void deliver(std::string_view type, const char* data, std::size_t size, const char* reply,
                       std::chrono::steady_clock::time_point deadline) noexcept = 0;
  // The exposed actor's cell (a remote watch ties to it).
  virtual tact::detail::CellBase* cell() const noexcept = 0;
};

// -- calls into libtact_nats.a (src/nats/node.cpp) --------------------------------------
tact::detail::RuntimeCore* node_runtime(NodeImpl* node) noexcept;
std::shared_ptr<NodeImpl> node_share(NodeImpl* node) noexcept;
// The subject prefix of an exposed name: tact.<cluster>.actor.<name>.
std::string node_actor_subject(NodeImpl* node, std::string_view name);
// The default deadline of an ask sent without one.
std::chrono::steady_clock::duration node_ask_timeout(NodeImpl* node) noexcept;
// The outbox of the actor subject `prefix` (made on first use; a proxy keeps it).
Outbox* node_outbox(NodeImpl* node, const std::string& prefix);
// A tell to <prefix>.<type>, batched in the outbox or published alone. False if
// the node is closed (or, alone, NATS refused it).
bool node_tell(NodeImpl* node, Outbox* outbox, const std::string& type, const char* data,
               std::size_t size) noexcept;
// Publishes an ask to <prefix>.<type>, after the tells batched before it;
// `reply` is completed exactly once: with the answer, or an error (no
// responders, deadline, node closed).
void node_ask(NodeImpl* node, Outbox* outbox, const std::string& type, const char* data,
              std::size_t size, std::chrono::steady_clock::time_point deadline,
              PendingReply reply) noexcept;
// Answers an inbound ask (to its reply subject).
void node_reply_value(NodeImpl* node, const char* reply, const char* data, std::size_t size) noexcept;
void node_reply_error(NodeImpl* node, const char* reply, ErrorKind kind, std::string_view text) noexcept;
// A message that could not be decoded, or had an unknown type.
void node_count_bad_message(NodeImpl* node) noexcept;
// An outgoing message that could not be encoded.
void node_count_encode_error(NodeImpl* node) noexcept;
// Subscribes <prefix>.* for `exposure` (owned by the node from now on); with
// `queue`, in the queue group of that name (load balancing). False if the name
// is already exposed by this node, or the node is closed.
bool node_expose(NodeImpl* node, std::string_view name, std::unique_ptr<Exposure> exposure, bool queue);

// A proxy of this node's was watched (ctx.watch): watch the actor it stands for
// (once per proxy), and proxy_stop it when that actor stops or its node is lost.
void node_watch(NodeImpl* node, tact::detail::CellBase* proxy, const std::string& subject) noexcept;
// The subject of a local actor sent inside a message: exposed under a name of
// its own (once per actor, for as long as the node is open; `exposure` is used
// the first time only).
std::string node_ref_subject(NodeImpl* node, tact::detail::CellBase* cell, std::unique_ptr<Exposure> exposure);

}  // namespace tact::nats::detail
