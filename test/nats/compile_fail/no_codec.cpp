// Must NOT compile: Blob, listed in Store's remote_messages, has no codec. The
// ctests nats_compile_fail_no_codec_{lookup,expose,reply} (check_compile_fail.cmake)
// expect the first error lines to name the actor and the type
// (tact::nats::detail::remote_message_has_no_codec<Store, Blob>).
//   0  none (the control)
//   1  node.lookup<Store>(...)
//   2  node.expose(..., ActorRef<Store>)
//   3  lookup of an actor whose reply type (Blob) has no codec
#define MSGPACK_NO_BOOST 1
#include <cstdint>

#include <tact/nats/nats.hpp>
#include <tact/tact.hpp>

#ifndef TACT_COMPILE_FAIL_CASE
#define TACT_COMPILE_FAIL_CASE 1
#endif

struct Blob {
  int size;
};
struct Put {
  std::int64_t n;
  MSGPACK_DEFINE(n)
};

class Store {
 public:
#if TACT_COMPILE_FAIL_CASE == 1 || TACT_COMPILE_FAIL_CASE == 2
  using remote_messages = tact::nats::messages<Put, Blob>;
#else
  using remote_messages = tact::nats::messages<Put>;
#endif
  std::int64_t handle(Put msg) { return msg.n; }
  void handle(Blob) {}
};

class Fetcher {
 public:
  using remote_messages = tact::nats::messages<Put>;
  Blob handle(Put) { return Blob{1}; }
};

void use(tact::nats::Node& node, tact::ActorRef<Store> store) {
#if TACT_COMPILE_FAIL_CASE == 1
  (void)node.lookup<Store>("store");
#elif TACT_COMPILE_FAIL_CASE == 2
  (void)node.expose("store", store);
#elif TACT_COMPILE_FAIL_CASE == 3
  (void)node.lookup<Fetcher>("fetcher");
#else
  (void)node.lookup<Store>("store");
  (void)node.expose("store", store);
#endif
}
