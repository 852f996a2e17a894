// nats_node_helper URL NAME: a node in a process of its own, for the fault
// tests (which SIGKILL it). Exposes a Counter as NAME (no queue group), then
// waits to be killed. Prints "ready" once the name is exposed.
#include <cstdio>
#include <thread>

#include "nats/test_actors.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: nats_node_helper URL NAME\n");
    return 2;
  }
  tact::Config config;
  config.workers = 1;
  tact::Runtime rt(config);
  tact::nats::NodeOptions options;
  options.servers = {argv[1]};
  options.name = argv[2];
  tact::nats::Node node(rt, options);
  if (!node.expose(argv[2], rt.spawn<Counter>(), {.queue_group = false})) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
