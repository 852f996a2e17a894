// One node of the cluster example (run.sh starts three): every node exposes a
// Worker under the shared name "worker" (a queue group: each ask goes to one of
// them) and under its own name. With --client, the node also asks "worker" every
// 50 ms for --seconds and prints who answered, or what the ask resolved with.
//
//   cluster_node nats://127.0.0.1:4222 a
//   cluster_node nats://127.0.0.1:4222 c --client --seconds 6
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include <tact/nats/nats.hpp>
#include <tact/tact.hpp>

struct Work {
  std::int64_t n;
  MSGPACK_DEFINE(n)
};

class Worker {
 public:
  using remote_messages = tact::nats::messages<Work>;
  explicit Worker(std::string node) : node_(std::move(node)) {}
  // Which node did the work, and how much it has done.
  std::string handle(Work msg) {
    done_ += msg.n;
    return node_ + " (done " + std::to_string(done_) + ")";
  }

 private:
  std::string node_;
  std::int64_t done_ = 0;
};

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cluster_node URL NAME [--client] [--seconds N]\n");
    return 2;
  }
  const std::string name = argv[2];
  bool client = false;
  int seconds = 6;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--client") == 0) client = true;
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = std::atoi(argv[++i]);
  }
  tact::Runtime rt;
  tact::nats::NodeOptions options;
  options.servers = {argv[1]};
  options.name = name;
  options.ask_timeout = std::chrono::milliseconds(500);
  tact::nats::Node node(rt, options);
  auto worker = rt.spawn<Worker>(name);
  node.expose("worker", worker);
  node.expose(name, worker, {.queue_group = false});
  std::printf("[%s] up\n", name.c_str());
  std::fflush(stdout);
  if (!client) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  auto any_worker = node.lookup<Worker>("worker");
  std::map<std::string, int> outcomes;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
    std::string outcome;
    try {
      outcome = any_worker.ask(Work{1}).get();
    } catch (const tact::Error& e) {
      outcome = std::string("error: ") + e.what();
    }
    std::printf("[%s] ask %3d -> %s\n", name.c_str(), i, outcome.c_str());
    std::fflush(stdout);
    ++outcomes[outcome.substr(0, outcome.find(' '))];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::printf("[%s] answers by node:", name.c_str());
  for (const auto& [who, count] : outcomes) std::printf(" %s=%d", who.c_str(), count);
  std::printf("\n");
  node.close();
  rt.shutdown();
  return 0;
}
