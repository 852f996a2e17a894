// TimerWheel: a hierarchical timer wheel (Varghese & Lauck; the layout of tokio's
// runtime/time/wheel). Single-threaded: the TimerService locks around it.
//
// Time is counted in ticks of kTick (1 ms) since the wheel's origin. Six levels
// of 64 slots: a slot of level L spans 64^L ticks, so the wheel covers 64^6 ticks
// (~2.2 years) ahead of `elapsed_`; a later deadline waits in the top level and is
// re-filed each time its slot comes round (nothing overflows: a deadline of
// time_point::max() just keeps being re-filed). Each slot is an intrusive
// doubly-linked list, so insert and remove are O(1); a 64-bit occupancy word per
// level finds the next occupied slot without visiting empty ones, so a wheel
// idle for hours costs nothing.
//
// Exactness: an entry keeps its exact deadline; the tick only says which slot it
// waits in. advance(now) hands out every entry whose deadline <= now and none
// later (no early firing, no rounding up): entries of the current tick whose
// deadline is still ahead wait in `due_`, and next_deadline() reports their
// exact earliest deadline. So a sleeper woken at next_deadline() is on time,
// whatever the tick.
//
// How entries move (invariant: an entry in level L's slot s has its tick's
// digit L equal to s, and agrees with elapsed_ on every digit above L; so the
// lowest occupied level holds the earliest slot, as tokio's wheel argues):
//   insert:  tick <= elapsed_ -> due_;  else the level of the highest digit
//            where tick and elapsed_ differ (top level when beyond the wheel);
//   advance: take the earliest slot whose start <= now's tick; its entries due by
//            the slot's start tick (all of them at level 0) are due (handed out
//            if their deadline <= now, else kept in due_), the others are re-filed
//            relative to the slot's start (one level lower, at least).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace tact::detail {

// An entry of the wheel; embed it in what it times. Fields are the wheel's.
struct TimerWheelEntry {
  TimerWheelEntry* prev = nullptr;
  TimerWheelEntry* next = nullptr;  // also links the chain advance() returns
  std::chrono::steady_clock::time_point deadline{};
  std::uint64_t tick = 0;
  std::uint8_t level = 0;  // where it is filed: a level, or kInDue
  std::uint8_t slot = 0;
  bool linked = false;
};

class TimerWheel {
 public:
  using Clock = std::chrono::steady_clock;

  // Bookkeeping granularity only: deadlines are kept and honoured exactly.
  static constexpr std::chrono::nanoseconds kTick = std::chrono::milliseconds(1);
  static constexpr unsigned kSlotBits = 6;
  static constexpr unsigned kSlots = 1u << kSlotBits;
  static constexpr unsigned kLevels = 6;

  // Ticks count from `origin` (deadlines before it are due at once).
  explicit TimerWheel(Clock::time_point origin) noexcept;
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Files `entry` (not linked) to expire at `deadline`. O(1).
  void insert(TimerWheelEntry* entry, Clock::time_point deadline) noexcept;
  // Unfiles a linked `entry`. O(1).
  void remove(TimerWheelEntry* entry) noexcept;
  // Unfiles and returns every entry whose deadline <= now, as a chain through
  // `next` (nullptr: none), in deadline order. `now` must not go backwards.
  TimerWheelEntry* advance(Clock::time_point now) noexcept;
  // Unfiles and returns every entry, in deadline order (shutdown).
  TimerWheelEntry* take_all() noexcept;

  // The earliest deadline of any entry, or a slot start no later than it (a
  // wake-up there re-files entries and asks again); nullopt when empty.
  std::optional<Clock::time_point> next_deadline() const noexcept;
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

 private:
  static constexpr std::uint8_t kInDue = 0xFF;

  struct List {
    TimerWheelEntry* head = nullptr;
    void push(TimerWheelEntry* entry) noexcept;
    void unlink(TimerWheelEntry* entry) noexcept;
  };
  struct Level {
    std::uint64_t occupied = 0;  // bit s: slots[s] is not empty
    std::array<List, kSlots> slots;
  };
  struct Expiration {
    unsigned level;
    unsigned slot;
    std::uint64_t start;  // the slot's first tick
  };

  std::uint64_t tick_of(Clock::time_point t) const noexcept;  // floor, saturating
  Clock::time_point time_of(std::uint64_t tick) const noexcept;
  void file(TimerWheelEntry* entry) noexcept;  // into due_ or a level, by entry->tick
  std::optional<Expiration> next_expiration() const noexcept;
  // Moves the slot's entries: due ones to due_, the others re-filed.
  void process(const Expiration& expiration) noexcept;
  // Hands out the entries of due_ whose deadline <= now.
  void collect_due(Clock::time_point now, TimerWheelEntry**& tail) noexcept;

  Clock::time_point origin_;
  std::uint64_t elapsed_ = 0;  // ticks fully processed up to (inclusive)
  std::size_t size_ = 0;
  List due_;  // tick <= elapsed_, deadline still ahead (or not yet handed out)
  std::array<Level, kLevels> levels_{};
};

}  // namespace tact::detail
