// Requests between durable hosts: an ask whose actor runs on another node
// goes there, by the lease's holder, on the routing threads; a request that
// came here runs here and is never sent on (so a stale hint cannot bounce a
// request between nodes).
//
// A client-only host (DurableOptions::hosts_actors = false) sends an actor
// that nobody runs to tact.<cluster>.durable.any instead, where every host
// that runs actors listens in one queue group: one of them activates it.
//
// Wire (msgpack, version 1; docs/durable.md), to tact.<cluster>.durable.to.<holder>:
//   request: [1, class: str, name: str, request_id: str, command_type: str, command: bin]
//   answer:  [1, outcome: uint (0 value, 1 handler failed, 2 ownership lost, 3 bad request),
//             payload: bin (the answer's bytes, or the error's text)]
#include <msgpack.hpp>

#include <algorithm>
#include <memory>

#include "durable/host_impl.hpp"
#include "durable/msgpack_io.hpp"

namespace tact::nats::detail {

namespace {

constexpr std::uint64_t kVersion = 1;

using durable::pack_bin;

std::string encode_request(const DurableRoute& route) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  out.pack_array(6);
  out.pack(kVersion);
  out.pack(route.class_name);
  out.pack(route.name);
  out.pack(route.request_id);
  out.pack(route.command_type);
  pack_bin(out, route.command);
  return std::string(buffer.data(), buffer.size());
}

std::string encode_answer(DurableOutcome outcome, const std::string& payload) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  out.pack_array(3);
  out.pack(kVersion);
  out.pack(static_cast<std::uint64_t>(outcome));
  pack_bin(out, payload);
  return std::string(buffer.data(), buffer.size());
}

std::string text_of(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  throw BadMessage("tact::nats durable: a bad request or answer");
}

// Throws BadMessage on anything but a version-1 array of `size` fields.
msgpack::object_handle unpack(const char* data, std::size_t size, std::uint32_t fields) {
  msgpack::object_handle handle;
  try {
    handle = durable::unpack_exactly(data, size);
  } catch (const std::exception& e) {
    throw BadMessage(std::string("tact::nats durable: undecodable bytes: ") + e.what());
  }
  const msgpack::object& o = handle.get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size != fields ||
      o.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER || o.via.array.ptr[0].via.u64 != kVersion) {
    throw BadMessage("tact::nats durable: a request or answer of unknown shape or version");
  }
  return handle;
}

struct MsgDeleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};

// One attempt of a route; schedules the next itself, so no thread sleeps.
void attempt(DurableHostImpl* host, std::shared_ptr<DurableRoute> route) {
  using Clock = std::chrono::steady_clock;
  const auto now = Clock::now();
  if (now >= route->deadline) {
    route->answered(DurableOutcome::kOwnershipLost,
                    "tact::nats durable: '" + route->name + "' could not be reached before the ask's deadline" +
                        (route->last_problem.empty() ? std::string() : "; last: " + route->last_problem));
    return;
  }
  auto retry = [host, route](std::chrono::milliseconds after) {
    host->routing().run_at(Clock::now() + after, [host, route]() { attempt(host, route); });
  };
  durable::Lease probe(host->store(), route->name, host->holder());
  std::string holder = probe.holder();
  std::string to;
  if (!holder.empty() && holder != host->holder()) {
    to = host->inbox_of(holder);
  } else if (host->options().hosts_actors) {
    route->run_here();  // nobody runs it, or we do: activate it here
    return;
  } else {
    // A client-only host: nobody runs it; one of the hosts will.
    holder = "any node that hosts actors";
    to = host->any_host_subject();
  }
  const std::string request = encode_request(*route);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(route->deadline - now);
  // At most a lease: a request that reached the holder's connection just as
  // its process was SIGKILLed (before the server saw the socket close) gets no
  // "no responders", only silence. Then the next attempt finds the lease
  // lapsing (and asks here) or renewed (and asks again: the same request id
  // is answered once). Two append timeouts (10 s) cost a 3 s lease's fail-over
  // 10 s, now and then, in the fail-over test and the bench.
  const auto wait = std::min({left, host->options().append_timeout * 2,
                              std::chrono::duration_cast<std::chrono::milliseconds>(host->options().lease)});
  natsMsg* raw = nullptr;
  natsStatus status = natsConnection_Request(&raw, host->store().connection(), to.c_str(),
                                             request.data(), static_cast<int>(request.size()),
                                             static_cast<std::int64_t>(std::max<long long>(1, wait.count())));
  std::unique_ptr<natsMsg, MsgDeleter> reply(raw);
  if (status == NATS_NO_RESPONDERS) {
    // The holder's process is gone (or its host closed): its lease lapses
    // within the lease time; until then, look again now and then.
    route->last_problem = to == host->any_host_subject()
                              ? "no node hosts durable actors of cluster '" + host->options().cluster +
                                    "' (no responders on " + to + ")"
                              : "no responders at its holder " + holder + " (gone? its lease lapses within " +
                                    std::to_string(host->options().lease.count()) + " ms)";
    retry(std::chrono::milliseconds(100));
    return;
  }
  if (status != NATS_OK) {
    route->last_problem = "asking its holder " + holder + ": " +
                          durable::describe(durable::StoreError{status, 0, natsStatus_GetText(status)});
    retry(std::chrono::milliseconds(50));  // a timeout: the same request id again is safe
    return;
  }
  try {
    msgpack::object_handle handle =
        unpack(natsMsg_GetData(reply.get()), static_cast<std::size_t>(natsMsg_GetDataLength(reply.get())), 3);
    const msgpack::object_array& fields = handle.get().via.array;
    if (fields.ptr[1].type != msgpack::type::POSITIVE_INTEGER || fields.ptr[1].via.u64 > 3) {
      throw BadMessage("tact::nats durable: an answer with an unknown outcome");
    }
    const auto outcome = static_cast<DurableOutcome>(fields.ptr[1].via.u64);
    std::string payload = text_of(fields.ptr[2]);
    if (outcome == DurableOutcome::kOwnershipLost) {
      // That node does not run it (any more): the lease moved, or it lost it
      // mid-request. Asking again, wherever it runs now, is safe: the request
      // id makes a second try answer the first outcome.
      route->last_problem = holder + " answered: " + payload;
      retry(std::chrono::milliseconds(50));
      return;
    }
    route->answered(outcome, std::move(payload));
  } catch (const std::exception& e) {
    route->answered(DurableOutcome::kBadRequest, e.what());
  }
}

}  // namespace

void durable_route(DurableHostImpl* host, DurableRoute route) {
  auto shared = std::make_shared<DurableRoute>(std::move(route));
  host->routing().run([host, shared]() { attempt(host, shared); });
}

void durable_serve(DurableHostImpl* host, std::string class_name, DurableInbound inbound) {
  host->serve(std::move(class_name), std::move(inbound));
}

void DurableHostImpl::serve(std::string class_name, DurableInbound inbound) {
  std::lock_guard<std::mutex> lock(inbound_mutex_);
  inbound_[std::move(class_name)] = std::move(inbound);
}

void DurableHostImpl::take_request(natsMsg* raw) {
  std::unique_ptr<natsMsg, MsgDeleter> msg(raw);
  const char* reply_to = natsMsg_GetReply(msg.get());
  if (reply_to == nullptr) return;  // not a request: nobody to answer
  natsConnection* connection = store_.connection();
  auto respond = [connection, to = std::string(reply_to)](DurableOutcome outcome, const std::string& payload) {
    const std::string answer = encode_answer(outcome, payload);
    (void)natsConnection_Publish(connection, to.c_str(), answer.data(), static_cast<int>(answer.size()));
  };
  try {
    msgpack::object_handle handle =
        unpack(natsMsg_GetData(msg.get()), static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())), 6);
    const msgpack::object_array& f = handle.get().via.array;
    std::string class_name = text_of(f.ptr[1]);
    DurableInbound inbound;
    {
      std::lock_guard<std::mutex> lock(inbound_mutex_);
      auto it = inbound_.find(class_name);
      if (it != inbound_.end()) inbound = it->second;
    }
    if (!inbound) {
      respond(DurableOutcome::kOwnershipLost, "tact::nats durable: this node does not serve " + class_name);
      return;
    }
    inbound(text_of(f.ptr[2]), text_of(f.ptr[3]), text_of(f.ptr[4]), text_of(f.ptr[5]),
            [respond](DurableOutcome outcome, std::string payload) { respond(outcome, payload); });
  } catch (const std::exception& e) {
    respond(DurableOutcome::kBadRequest, e.what());
  }
}

}  // namespace tact::nats::detail
