// tact-durable-bench: what the durable journal adds to a JetStream append, on a
// 3-server JetStream cluster of its own (loopback, free ports; R3, file storage),
// rounds interleaved:
//   raw      js_Publish of a 64-byte payload with an ack (the engine's own figure)
//   journal  Journal::append of a record holding one 64-byte event: the same
//            publish plus the record's encoding, the fencing header and the
//            actor-scoped message id
// Prints one RESULT line per figure and round, then medians (min-max) of p50
// and p99 over the rounds, and the journal's ratio to raw.
//
//   tact-durable-bench [--rounds N] [--appends N] [--replicas 1|3]
#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "durable/jetstream.hpp"
#include "durable/jetstream_cluster.hpp"
#include "durable/journal.hpp"
#include "tact/errors.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using tact::nats::durable::Appended;
using tact::nats::durable::JetStream;
using tact::nats::durable::Journal;
using tact::nats::durable::Record;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::unique_ptr<JetStream> open_store(const std::vector<std::string>& urls, int replicas) {
  tact::nats::durable::StoreConfig config;
  config.servers = urls;
  config.cluster = "bench";
  config.replicas = replicas;
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    try {
      return std::make_unique<JetStream>(config);
    } catch (const tact::Error&) {
      if (Clock::now() > give_up) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

struct Figures {
  double p50, p99;
};

Figures raw_round(JetStream& store, int appends, int round) {
  const std::string payload(64, 'x');
  const std::string subject = store.events_subject("raw-" + std::to_string(round));
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(appends));
  for (int i = 0; i < appends; ++i) {
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const auto start = Clock::now();
    natsStatus s = js_Publish(&ack, store.context(), subject.c_str(), payload.data(),
                              static_cast<int>(payload.size()), nullptr, &code);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (s != NATS_OK) {
      std::fprintf(stderr, "raw publish failed: %s (%d)\n", natsStatus_GetText(s), static_cast<int>(code));
      std::exit(1);
    }
    jsPubAck_Destroy(ack);
  }
  return {percentile(us, 0.5), percentile(us, 0.99)};
}

Figures journal_round(JetStream& store, int appends, int round) {
  Journal journal(store, "journal-" + std::to_string(round));
  if (journal.recover(Clock::now() + std::chrono::seconds(10)).error) {
    std::fprintf(stderr, "recover failed\n");
    std::exit(1);
  }
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(appends));
  for (int i = 0; i < appends; ++i) {
    Record record{"r" + std::to_string(i), std::string(8, 'a'), {std::string(64, 'x')}};
    const auto start = Clock::now();
    auto result = journal.append(record, Clock::now() + std::chrono::seconds(10));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (result.outcome != Appended::kStored) {
      std::fprintf(stderr, "journal append failed: %s\n", result.error.text.c_str());
      std::exit(1);
    }
  }
  return {percentile(us, 0.5), percentile(us, 0.99)};
}

void summary(const char* name, const std::vector<double>& v) {
  std::vector<double> s = v;
  std::sort(s.begin(), s.end());
  std::printf("  %-14s median %8.1f us  (min %.1f, max %.1f)\n", name, s[s.size() / 2], s.front(), s.back());
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 3;
  int appends = 2000;
  int replicas = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--appends" && i + 1 < argc) {
      appends = std::atoi(argv[++i]);
    } else if (a == "--replicas" && i + 1 < argc) {
      replicas = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: tact-durable-bench [--rounds N] [--appends N] [--replicas 1|3]\n");
      return 2;
    }
  }
  if (rounds < 1 || appends < 10 || (replicas != 1 && replicas != 3)) {
    std::fprintf(stderr, "tact-durable-bench: bad arguments\n");
    return 2;
  }
  tact::test::JetStreamCluster cluster(replicas == 3 ? 3 : 1);
  auto store = open_store(cluster.urls(), replicas);
  std::printf("tact-durable-bench: %d server(s), R%d, file storage, 64-byte payloads, %d appends a round\n",
              cluster.size(), replicas, appends);
  std::map<std::string, std::vector<double>> p50, p99;
  (void)raw_round(*store, appends / 10, -1);  // warm up: stream leader, connections
  for (int r = 0; r < rounds; ++r) {
    // Interleaved, the order alternating, so a placement change hits both.
    for (int k = 0; k < 2; ++k) {
      const bool raw = (k == 0) == (r % 2 == 0);
      Figures f = raw ? raw_round(*store, appends, r) : journal_round(*store, appends, r);
      const char* name = raw ? "raw" : "journal";
      std::printf("RESULT round=%d %s p50_us=%.1f p99_us=%.1f\n", r, name, f.p50, f.p99);
      p50[name].push_back(f.p50);
      p99[name].push_back(f.p99);
    }
  }
  std::printf("append latency over %d rounds:\n", rounds);
  summary("raw p50", p50["raw"]);
  summary("journal p50", p50["journal"]);
  summary("raw p99", p99["raw"]);
  summary("journal p99", p99["journal"]);
  auto med = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("journal / raw: p50 %.2fx, p99 %.2fx\n", med(p50["journal"]) / med(p50["raw"]),
              med(p99["journal"]) / med(p99["raw"]));
  return 0;
}
