// bank_audit: the fault test's last look at the bank (examples/bank). For each
// account it prints a "final" line for scripts/durable_check.py: the balance
// a fresh incarnation recovers (snapshot + records, as any node would), and
// the operations its journal holds, read raw from the stream leader, in log
// order, each with its delta. The two are computed apart, so the checker's
// "state" check compares the library's recovery with the log itself.
//
//   bank_audit --accounts N [--cluster bank] [--lease-ms MS] URL...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bank/account.hpp"
#include "durable/event_log.hpp"
#include "durable/jetstream.hpp"
#include "durable/journal.hpp"
#include "tact/nats/durable.hpp"
#include "tact/tact.hpp"

namespace {

using tact::nats::durable::EventLog;
using tact::nats::durable::JetStream;

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out + "\"";
}

// (op id, delta) of every record in `name`'s journal, oldest first. Exits on
// a store error: an audit with holes would prove nothing.
std::vector<std::pair<std::string, std::int64_t>> applied(JetStream& store, const std::string& name) {
  EventLog log(store, name);
  const auto last = log.last();
  if (last.error) {
    std::fprintf(stderr, "bank_audit: %s: the stream leader did not answer: %s\n", name.c_str(),
                 last.error.text.c_str());
    std::exit(1);
  }
  std::vector<std::pair<std::string, std::int64_t>> out;
  const auto error = log.read(
      0, last.sequence,
      [&](std::uint64_t, std::string_view bytes, std::string_view) {
        const auto record = tact::nats::durable::decode_record(bytes);
        bank::Account probe;  // the record's effect: its events applied to zero
        for (const std::string& event : record.events) tact::nats::detail::apply_event(probe, event);
        out.emplace_back(record.request_id, probe.balance);
      },
      std::chrono::steady_clock::now() + std::chrono::seconds(60));
  if (error) {
    std::fprintf(stderr, "bank_audit: %s: reading the journal failed: %s\n", name.c_str(), error.text.c_str());
    std::exit(1);
  }
  return out;
}

// The balance a fresh incarnation recovers. An activation can be refused
// while a closed node's lease is still seen by a lagging replica: ask again.
std::int64_t balance_of(tact::nats::DurableHost& host, const std::string& name) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      return host.get<bank::Account>(name).ask(bank::Balance{}).get();
    } catch (const tact::nats::OwnershipLost& e) {
      if (std::chrono::steady_clock::now() > give_up) {
        std::fprintf(stderr, "bank_audit: %s: %s\n", name.c_str(), e.what());
        std::exit(1);
      }
      std::fprintf(stderr, "bank_audit: %s: %s; again\n", name.c_str(), e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int accounts = 0;
  std::string cluster = "bank";
  long lease_ms = 10000;
  std::vector<std::string> servers;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--accounts" && i + 1 < argc) {
      accounts = std::atoi(argv[++i]);
    } else if (arg == "--cluster" && i + 1 < argc) {
      cluster = argv[++i];
    } else if (arg == "--lease-ms" && i + 1 < argc) {
      lease_ms = std::strtol(argv[++i], nullptr, 10);
    } else {
      servers.emplace_back(arg);
    }
  }
  if (accounts < 1 || servers.empty()) {
    std::fprintf(stderr, "usage: bank_audit --accounts N [--cluster NAME] [--lease-ms MS] URL...\n");
    return 2;
  }
  tact::nats::durable::StoreConfig config;
  config.servers = servers;
  config.cluster = cluster;
  config.lease = std::chrono::milliseconds(lease_ms);
  JetStream store(config);

  tact::Runtime rt;
  tact::nats::DurableOptions options;
  options.servers = servers;
  options.cluster = cluster;
  options.node = "audit";
  options.lease = config.lease;
  options.ask_timeout = 2 * options.lease + std::chrono::seconds(10);  // a killed node's leases lapse first
  tact::nats::DurableHost host(rt, options);
  // Every account activated at once (each activation reads its journal), then
  // collected; one refused is asked again on its own.
  std::vector<tact::Reply<std::int64_t>> first;
  for (int i = 0; i < accounts; ++i) {
    first.push_back(host.get<bank::Account>("account/" + std::to_string(i)).ask(bank::Balance{}));
  }
  for (int i = 0; i < accounts; ++i) {
    const std::string name = "account/" + std::to_string(i);
    const auto ops = applied(store, name);
    std::int64_t balance = 0;
    try {
      balance = first[static_cast<std::size_t>(i)].get();
    } catch (const tact::nats::OwnershipLost&) {
      balance = balance_of(host, name);
    }
    std::string line = "{\"kind\":\"final\",\"account\":" + json_string(name) +
                       ",\"balance\":" + std::to_string(balance) + ",\"applied\":[";
    for (std::size_t k = 0; k < ops.size(); ++k) {
      if (k > 0) line += ',';
      line += "[" + json_string(ops[k].first) + "," + std::to_string(ops[k].second) + "]";
    }
    line += "]}\n";
    std::fputs(line.c_str(), stdout);
  }
  return 0;
}
