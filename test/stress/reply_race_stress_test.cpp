// Races on the one-shot reply slot, many times over: a writer thread answers (or
// drops) Promises while the asker waits, times out, registers then(), or walks
// away. Every Reply must resolve exactly once, no wake-up may be lost (a
// Watchdog fails a stuck test with a dump), and every payload is destroyed once.
//
// Timing jitter on both sides moves the writer's fetch_or before, during and after
// each reader step: caught while spinning, after parking, after a withdrawn timeout.
// The seed is printed on failure; TACT_STRESS_SEED=<n> replays the same jitter.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/concurrency.hpp"
#include "support/random.hpp"
#include "support/watchdog.hpp"
#include "sync/spin.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/reply.hpp"

namespace {

using tact::test::Atomic;
using tact::test::Thread;

using namespace std::chrono_literals;
using tact::BrokenPromise;
using tact::Outcome;
using tact::Promise;
using tact::Reply;
using tact::Timeout;
using tact::detail::acquire;
using tact::detail::relaxed;
using tact::detail::release;

constexpr auto kWatchdogLimit = std::chrono::seconds(120);

// tact::test::scaled() keeps a tenth of the work under sanitizers. These races are
// short and TSan/ASan are their main checkers, so keep four times that there
// (about 10 s under TSan on two loaded cores, well inside the budget).
long stress_iterations(long release_iterations) {
#if defined(TACT_SANITIZE_THREAD) || defined(TACT_SANITIZE_ADDRESS)
  return 4 * tact::test::scaled(release_iterations);
#else
  return tact::test::scaled(release_iterations);
#endif
}

// ===== helpers =========================================================================

std::uint64_t seed() {
  static const std::uint64_t value = tact::test::stress_seed(0x7AC7'5EEDull);
  return value;
}

// A cheap, well-mixed random number per (seed, iteration, side).
std::uint64_t random_for(long iteration, std::uint64_t side) {
  return tact::test::mix64(seed() ^ (static_cast<std::uint64_t>(iteration) * 4 + side));
}

// A pause of varying length: none (30%), a short spin of up to ~10 us (64%), or
// a sleep beyond the reply slot's spin budget (kReplySpin, 50 us) so the other
// side parks (6%; sleeps are few because each costs ~100 us or more).
void jitter(std::uint64_t r) {
  const std::uint64_t pick = r % 100;
  if (pick < 30) return;
  if (pick < 94) {
    for (std::uint64_t i = 0, n = (r >> 8) % 1000; i < n; ++i) tact::detail::cpu_relax();
    return;
  }
  tact::test::sleep_for(std::chrono::microseconds(60 + (r >> 8) % 60));
}

// A get_for() timeout for retry `attempt`: mostly shorter than the spin budget
// (the wait ends while spinning), every fourth one longer (it parks, then times out
// or is woken; both race the writer's withdraw-or-unpark). Parking also hands the
// core to the writer, which matters on a loaded two-core machine.
std::chrono::microseconds retry_timeout(std::uint64_t r, int attempt) {
  const std::uint64_t bits = r >> (attempt % 8 * 6);
  if (attempt % 4 == 3) return std::chrono::microseconds(60 + bits % 100);
  return std::chrono::microseconds(bits % 20);
}

// Counts every construction and destruction, so a test can prove each payload
// built was destroyed exactly once (moved-from shells included).
struct Counted {
  static inline Atomic<long> constructed{0};
  static inline Atomic<long> destroyed{0};
  static void reset() {
    constructed.store(0, relaxed);  // relaxed: tallies, read after the threads join
    destroyed.store(0, relaxed);
  }

  explicit Counted(long v) : value(v) { constructed.fetch_add(1, relaxed); }
  Counted(Counted&& other) noexcept : value(other.value) { constructed.fetch_add(1, relaxed); }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  ~Counted() { destroyed.fetch_add(1, relaxed); }

  long value;
};

// A writer thread fed through a one-slot mailbox: send() hands it a Promise, it
// jitters, then runs `answer(promise, iteration)` (set the value, or drop it).
// Both sides wait for the mailbox on a futex (atomic wait/notify), not with
// yield(): on a loaded machine that wakes the other side promptly.
template <class R>
class Writer {
 public:
  using Answer = void (*)(Promise<R>&, long iteration);

  explicit Writer(Answer answer) : answer_(answer), thread_([this] { run(); }) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() { finish(); }

  void send(Promise<R> promise, long iteration) {
    wait_while(kFull);  // the writer has taken the previous Promise
    promise_.emplace(std::move(promise));
    iteration_ = iteration;
    state_.store(kFull, release);  // release: publishes promise_/iteration_; pairs with run()
    tact::test::atomic_notify_one(state_);
  }

  // Stops the thread once it has taken the last Promise, and joins it: every
  // Promise sent has been answered (and any continuation run) when this returns.
  void finish() {
    if (!thread_.joinable()) return;
    wait_while(kFull);
    state_.store(kStop, release);  // release: pairs with the acquire in run()
    tact::test::atomic_notify_one(state_);
    thread_.join();
  }

  long answered() const { return answered_.load(acquire); }  // pairs with run()'s release

 private:
  static constexpr int kEmpty = 0;
  static constexpr int kFull = 1;
  static constexpr int kStop = 2;

  // Spins a little, then sleeps until state_ leaves `value`. acquire: pairs with
  // the release store that moved it (by the other side).
  void wait_while(int value) {
    for (int i = 0; i < 100 && state_.load(acquire) == value; ++i) tact::detail::cpu_relax();
    while (state_.load(acquire) == value) tact::test::atomic_wait(state_, value, acquire);
  }

  void run() {
    for (;;) {
      wait_while(kEmpty);
      if (state_.load(acquire) == kStop) return;  // acquire: pairs with finish()
      Promise<R> promise = std::move(*promise_);
      promise_.reset();
      const long iteration = iteration_;
      state_.store(kEmpty, release);  // release: done with the mailbox; pairs with send()
      tact::test::atomic_notify_one(state_);
      jitter(random_for(iteration, 1));
      answer_(promise, iteration);
      answered_.fetch_add(1, release);  // release: progress for the watchdog's dump
    }
  }

  Answer answer_;
  Atomic<int> state_{kEmpty};
  Atomic<long> answered_{0};
  std::optional<Promise<R>> promise_;  // owned by whoever state_ says
  long iteration_ = 0;                 // idem
  Thread thread_;                 // last: starts after the fields it reads
};

void answer_with_iteration(Promise<Counted>& promise, long iteration) {
  promise.set_value(iteration);
}
void drop_unanswered(Promise<int>& promise, long) { Promise<int> dropped = std::move(promise); }

std::string progress(const char* what, long done, long total, long answered) {
  std::ostringstream out;
  out << what << ": reader at " << done << " of " << total << ", writer answered " << answered
      << ", seed " << seed() << " (TACT_STRESS_SEED replays)";
  return out.str();
}

class ReplyRace : public ::testing::Test {
 protected:
  void SetUp() override { Counted::reset(); }
  void TearDown() override {
    EXPECT_EQ(Counted::constructed.load(relaxed), Counted::destroyed.load(relaxed))
        << "payloads built and destroyed differ: a leak or a double destroy";
  }
  std::string seed_note() const { return "seed " + std::to_string(seed()); }
};

// ===== the races =======================================================================

TEST_F(ReplyRace, AWriterRacingABlockingGetDeliversEveryValueOnce) {
  const long iterations = stress_iterations(20000);
  Atomic<long> done{0};
  Writer<Counted> writer(&answer_with_iteration);
  tact::test::Watchdog watchdog("writer vs blocking get", kWatchdogLimit, [&] {
    return progress("blocking get", done.load(acquire), iterations, writer.answered());
  });
  SCOPED_TRACE(seed_note());
  for (long i = 0; i < iterations; ++i) {
    auto [promise, reply] = Promise<Counted>::make();
    writer.send(std::move(promise), i);
    jitter(random_for(i, 0));
    ASSERT_EQ(reply.get().value, i);
    ASSERT_FALSE(reply.valid());
    done.store(i + 1, release);  // release: progress for the dump (acquire above)
  }
  writer.finish();
}

TEST_F(ReplyRace, AWriterRacingGetForWithTinyTimeoutsDeliversEveryValueOnce) {
  const long iterations = stress_iterations(10000);
  Atomic<long> done{0};
  long timeouts = 0;
  Writer<Counted> writer(&answer_with_iteration);
  tact::test::Watchdog watchdog("writer vs get_for", kWatchdogLimit, [&] {
    return progress("get_for retries", done.load(acquire), iterations, writer.answered());
  });
  SCOPED_TRACE(seed_note());
  for (long i = 0; i < iterations; ++i) {
    auto [promise, reply] = Promise<Counted>::make();
    writer.send(std::move(promise), i);
    const std::uint64_t r = random_for(i, 0);
    int received = 0;
    for (int attempt = 0; reply.valid(); ++attempt) {
      try {
        ASSERT_EQ(reply.get_for(retry_timeout(r, attempt)).value, i);
        ++received;
      } catch (const Timeout&) {
        ++timeouts;
        ASSERT_TRUE(reply.valid()) << "a timed-out Reply must stay valid";
      }
    }
    ASSERT_EQ(received, 1);
    done.store(i + 1, release);  // release: progress for the dump
  }
  writer.finish();
  std::printf("[ info ] %ld timeouts over %ld replies\n", timeouts, iterations);
}

TEST_F(ReplyRace, AWriterRacingThenRegistrationRunsEveryContinuationOnce) {
  const long iterations = stress_iterations(20000);
  // Plain ints: continuation i alone touches slot i; read after the writer joins.
  std::vector<int> runs(static_cast<std::size_t>(iterations), 0);
  std::vector<long> seen(static_cast<std::size_t>(iterations), -1);
  Atomic<long> ran_inline{0};
  Atomic<long> done{0};
  const std::thread::id reader_id = std::this_thread::get_id();
  Writer<Counted> writer(&answer_with_iteration);
  tact::test::Watchdog watchdog("writer vs then", kWatchdogLimit, [&] {
    return progress("then()", done.load(acquire), iterations, writer.answered());
  });
  SCOPED_TRACE(seed_note());
  for (long i = 0; i < iterations; ++i) {
    auto [promise, reply] = Promise<Counted>::make();
    writer.send(std::move(promise), i);
    jitter(random_for(i, 0));
    const auto index = static_cast<std::size_t>(i);
    reply.then([&, index, reader_id](Outcome<Counted> outcome) {
      ++runs[index];
      seen[index] = outcome.value().value;
      if (std::this_thread::get_id() == reader_id) ran_inline.fetch_add(1, relaxed);  // a tally
    });
    ASSERT_FALSE(reply.valid());
    done.store(i + 1, release);  // release: progress for the dump
  }
  writer.finish();  // joins: every continuation has run by now
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ASSERT_EQ(runs[i], 1) << "continuation " << i;
    ASSERT_EQ(seen[i], static_cast<long>(i));
  }
  std::printf("[ info ] %ld of %ld continuations ran inline in then()\n",
              ran_inline.load(relaxed), iterations);
}

TEST_F(ReplyRace, AWriterRacingAnAbandonedReplyDestroysEveryPayloadOnce) {
  const long iterations = stress_iterations(20000);
  Atomic<long> done{0};
  Writer<Counted> writer(&answer_with_iteration);
  tact::test::Watchdog watchdog("writer vs abandon", kWatchdogLimit, [&] {
    return progress("abandon", done.load(acquire), iterations, writer.answered());
  });
  SCOPED_TRACE(seed_note());
  for (long i = 0; i < iterations; ++i) {
    auto [promise, reply] = Promise<Counted>::make();
    writer.send(std::move(promise), i);
    const std::uint64_t r = random_for(i, 0);
    jitter(r);
    switch ((r >> 20) % 3) {
      case 0:  // just drop it
        break;
      case 1:  // look once, then drop it
        if (reply.try_get()) continue;
        break;
      default:  // wait a little (maybe parking and withdrawing), then drop it
        try {
          (void)reply.get_for(retry_timeout(r, static_cast<int>((r >> 24) % 4)));
          continue;
        } catch (const Timeout&) {
        }
        break;
    }
    { Reply<Counted> dropped = std::move(reply); }
    done.store(i + 1, release);  // release: progress for the dump
  }
  writer.finish();
  // TearDown: constructed == destroyed. ASan: no slot leaked, none freed twice.
}

TEST_F(ReplyRace, ADroppedPromiseRacingAWaiterAnswersBrokenPromiseOnce) {
  const long iterations = stress_iterations(15000);
  Atomic<long> done{0};
  Atomic<long> broken_in_continuations{0};
  long broken = 0;
  Writer<int> writer(&drop_unanswered);
  tact::test::Watchdog watchdog("dropped promise vs waiter", kWatchdogLimit, [&] {
    return progress("broken promise", done.load(acquire), iterations, writer.answered());
  });
  SCOPED_TRACE(seed_note());
  for (long i = 0; i < iterations; ++i) {
    auto [promise, reply] = Promise<int>::make();
    writer.send(std::move(promise), i);
    const std::uint64_t r = random_for(i, 0);
    jitter(r);
    switch ((r >> 20) % 3) {
      case 0:
        try {
          (void)reply.get();
          FAIL() << "a dropped Promise answered a value";
        } catch (const BrokenPromise&) {
          ++broken;
        }
        break;
      case 1:
        for (int attempt = 0; reply.valid(); ++attempt) {
          try {
            (void)reply.get_for(retry_timeout(r, attempt));
            FAIL() << "a dropped Promise answered a value";
          } catch (const Timeout&) {
          } catch (const BrokenPromise&) {
            ++broken;
          }
        }
        break;
      default:
        reply.then([&](Outcome<int> outcome) {
          try {
            (void)outcome.value();
          } catch (const BrokenPromise&) {
            broken_in_continuations.fetch_add(1, relaxed);  // a tally, read after join
          }
        });
        break;
    }
    ASSERT_FALSE(reply.valid());
    done.store(i + 1, release);  // release: progress for the dump
  }
  writer.finish();
  EXPECT_EQ(broken + broken_in_continuations.load(relaxed), iterations);
}

}  // namespace
