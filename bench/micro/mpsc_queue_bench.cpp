// MpscQueue (src/mailbox/mpsc_queue.hpp) against moodycamel::ConcurrentQueue and a
// std::mutex + std::deque. All three move pointers to preallocated nodes: the
// mailbox is intrusive, so allocation is not part of the comparison. Each producer
// writes a node's payload before pushing it and the consumer reads it, as a sender
// builds a message and an actor reads it. tact's queue keeps the node it hands out
// as its dummy until a later pop() or try_mark_empty() retires it; the nodes here
// are preallocated, so the benchmark only respects that (a node is pushed again
// only once retired) and otherwise ignores the retired nodes.
//
//   mpsc/same_thread/<impl>  push then pop on one thread: ns per message
//   mpsc/1p1c/<impl>         1 producer thread → the consumer: a whole transfer of
//   mpsc/2p1c/<impl>         kTransferMessages, timed from start signal to last pop
//
// Targets (quiet machine): tact same_thread ≤ 10 ns/msg; tact 2p1c ≥ 1.3× moodycamel
// and ≥ 2.5× mutex_deque items/s. The transfers need 3 runnable threads for 2p1c;
// on a 2-core machine they measure the OS scheduler as much as the queues.
#include <benchmark/benchmark.h>

// GCC's -Wnull-dereference fires inside moodycamel after inlining, where -isystem
// no longer hides it; it is the library's code, not ours.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <concurrentqueue.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mailbox/mpsc_queue.hpp"
#include "min_max.hpp"
#include "sync/spin.hpp"

namespace {

using tact::detail::cpu_relax;

constexpr long kTransferMessages = 1'000'000;
constexpr std::size_t kConsumerBatch = 64;  // the same bulk size for every consumer

struct Node : tact::detail::MpscNode {
  std::uint64_t value = 0;
};

// -- adapters: one producer handle per pushing thread, one consumer handle --------

struct TactImpl {
  using Queue = tact::detail::MpscQueue;
  static constexpr const char* kName = "tact";

  struct Producer {
    explicit Producer(Queue& q) : queue(q) {}
    void push(Node* node) { queue.push(node); }
    Queue& queue;
  };
  struct Consumer {
    explicit Consumer(Queue& q) : queue(q) {}
    // `reusable`: a node that may be pushed again now (the retired one), or null.
    Node* pop_one(Node*& reusable) {
      tact::detail::MpscNode* retired = nullptr;
      Node* node = static_cast<Node*>(queue.pop(retired));
      reusable = static_cast<Node*>(retired);
      return node;
    }
    std::size_t pop_bulk(Node** out, std::size_t max) {
      // Node derives from MpscNode first and alone: the pointers are interchangeable.
      tact::detail::MpscNode* nodes[kConsumerBatch];
      tact::detail::MpscNode* retired = nullptr;  // preallocated: nothing to free
      const std::size_t n = queue.pop_batch(nodes, max, retired);
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Node*>(nodes[i]);
      return n;
    }
    // After a transfer, untimed: every push is linked, so the mark succeeds and
    // retires the last dummy; the next transfer may push every node again.
    bool finish() {
      tact::detail::MpscNode* retired = nullptr;
      return queue.try_mark_empty(retired);
    }
    Queue& queue;
  };
};

struct MoodycamelImpl {
  using Queue = moodycamel::ConcurrentQueue<Node*>;
  static constexpr const char* kName = "moodycamel";

  struct Producer {
    explicit Producer(Queue& q) : queue(q), token(q) {}
    void push(Node* node) { queue.enqueue(token, node); }
    Queue& queue;
    moodycamel::ProducerToken token;
  };
  struct Consumer {
    explicit Consumer(Queue& q) : queue(q), token(q) {}
    Node* pop_one(Node*& reusable) {
      Node* node = nullptr;
      reusable = queue.try_dequeue(token, node) ? node : nullptr;
      return reusable;
    }
    std::size_t pop_bulk(Node** out, std::size_t max) { return queue.try_dequeue_bulk(token, out, max); }
    bool finish() { return true; }
    Queue& queue;
    moodycamel::ConsumerToken token;
  };
};

struct MutexDequeImpl {
  struct Queue {
    std::mutex mutex;
    std::deque<Node*> nodes;
  };
  static constexpr const char* kName = "mutex_deque";

  struct Producer {
    explicit Producer(Queue& q) : queue(q) {}
    void push(Node* node) {
      std::lock_guard<std::mutex> lock(queue.mutex);
      queue.nodes.push_back(node);
    }
    Queue& queue;
  };
  struct Consumer {
    explicit Consumer(Queue& q) : queue(q) {}
    Node* pop_one(Node*& reusable) {
      std::lock_guard<std::mutex> lock(queue.mutex);
      reusable = nullptr;
      if (queue.nodes.empty()) return nullptr;
      reusable = queue.nodes.front();
      queue.nodes.pop_front();
      return reusable;
    }
    std::size_t pop_bulk(Node** out, std::size_t max) {
      std::lock_guard<std::mutex> lock(queue.mutex);
      const std::size_t n = std::min(max, queue.nodes.size());
      std::copy_n(queue.nodes.begin(), n, out);
      queue.nodes.erase(queue.nodes.begin(), queue.nodes.begin() + static_cast<std::ptrdiff_t>(n));
      return n;
    }
    bool finish() { return true; }
    Queue& queue;
  };
};

// -- scenarios ----------------------------------------------------------------------

// Two nodes: the one just popped may still be tact's dummy, so the next push takes
// the node the consumer got back (the popped one itself for the others, the
// retired one for tact), or the spare when there is none yet.
template <class Impl>
void same_thread(benchmark::State& state) {
  typename Impl::Queue queue;
  typename Impl::Producer producer(queue);
  typename Impl::Consumer consumer(queue);
  Node nodes[2];
  Node* next = &nodes[0];
  std::uint64_t sum = 0;
  for (auto _ : state) {
    producer.push(next);
    Node* reusable = nullptr;
    Node* popped = consumer.pop_one(reusable);
    sum += popped != nullptr ? popped->value : 0;  // never null here; the check keeps it honest
    next = reusable != nullptr ? reusable : &nodes[1];
    benchmark::DoNotOptimize(popped);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}

// One transfer of kTransferMessages from `producers` threads to this thread.
// Threads start outside the timed part; the clock runs from the start signal until
// the consumer has popped the last message.
template <class Impl>
void transfer(benchmark::State& state, int producers) {
  const long per_producer = kTransferMessages / producers;
  const long total = per_producer * producers;
  std::vector<std::unique_ptr<Node[]>> nodes;
  for (int p = 0; p < producers; ++p) {
    nodes.push_back(std::make_unique<Node[]>(static_cast<std::size_t>(per_producer)));
  }
  // One queue for every iteration: moodycamel recycles its blocks and producers,
  // the deque keeps its map; each runs warm, as a long-lived mailbox does.
  auto queue = std::make_unique<typename Impl::Queue>();
  typename Impl::Consumer consumer(*queue);

  for (auto _ : state) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        typename Impl::Producer producer(*queue);
        Node* mine = nodes[static_cast<std::size_t>(p)].get();
        ready.fetch_add(1, std::memory_order_release);  // release: pairs with the wait below
        while (!go.load(std::memory_order_acquire)) cpu_relax();  // acquire: pairs with the start
        for (long i = 0; i < per_producer; ++i) {
          mine[i].value = static_cast<std::uint64_t>(i);  // the sender writes its message
          producer.push(&mine[i]);
        }
      });
    }
    while (ready.load(std::memory_order_acquire) != producers) std::this_thread::yield();

    Node* batch[kConsumerBatch];
    long received = 0;
    std::uint64_t sum = 0;
    const auto start = std::chrono::steady_clock::now();
    go.store(true, std::memory_order_release);  // release: pairs with the producers' spin
    while (received < total) {
      const std::size_t n = consumer.pop_bulk(batch, kConsumerBatch);
      for (std::size_t i = 0; i < n; ++i) sum += batch[i]->value;
      received += static_cast<long>(n);
      if (n == 0) cpu_relax();
    }
    const auto stop = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(sum);
    for (auto& t : threads) t.join();
    if (!consumer.finish()) {
      state.SkipWithError("the consumer could not release the queue after a transfer");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
  state.SetItemsProcessed(state.iterations() * total);
}

// Repetitions come from the command line (scripts/bench.sh passes
// --benchmark_repetitions); with more than one, the console shows the aggregates.
benchmark::internal::Benchmark* with_statistics(benchmark::internal::Benchmark* b) {
  tact::bench::with_min_max(b);
  return b->DisplayAggregatesOnly(true);
}

template <class Impl>
void register_same_thread() {
  const std::string name = std::string("mpsc/same_thread/") + Impl::kName;
  with_statistics(benchmark::RegisterBenchmark(name.c_str(), same_thread<Impl>));
}

template <class Impl>
void register_transfer(int producers) {
  const std::string name = "mpsc/" + std::to_string(producers) + "p1c/" + Impl::kName;
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [producers](benchmark::State& state) {
    transfer<Impl>(state, producers);
  });
  with_statistics(b->UseManualTime()->Unit(benchmark::kMillisecond));
}

template <class... Impls>
void register_all() {
  (register_same_thread<Impls>(), ...);
  for (int producers : {1, 2}) (register_transfer<Impls>(producers), ...);
}

}  // namespace

int main(int argc, char** argv) {
  register_all<TactImpl, MoodycamelImpl, MutexDequeImpl>();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
