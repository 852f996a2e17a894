#include "timer/timer_wheel.hpp"

#include <bit>
#include <cassert>
#include <limits>

namespace tact::detail {
namespace {

[[maybe_unused]] constexpr unsigned kTopLevel = TimerWheel::kLevels - 1;  // for assert() only
// Ticks the levels cover ahead of elapsed_ (64^6); later deadlines wait at the top.
constexpr std::uint64_t kWheelTicks = std::uint64_t{1} << (TimerWheel::kSlotBits * TimerWheel::kLevels);
constexpr std::uint64_t kSlotMask = TimerWheel::kSlots - 1;

constexpr std::uint64_t slot_span(unsigned level) noexcept {
  return std::uint64_t{1} << (TimerWheel::kSlotBits * level);
}

// The level of the highest digit where `tick` and `elapsed` differ.
unsigned level_for(std::uint64_t elapsed, std::uint64_t tick) noexcept {
  std::uint64_t differing = (elapsed ^ tick) | kSlotMask;
  if (differing >= kWheelTicks) differing = kWheelTicks - 1;  // beyond the wheel: the top level
  return static_cast<unsigned>(std::bit_width(differing) - 1) / TimerWheel::kSlotBits;
}

// Merge sort of a chain linked through `next`, by deadline (stable).
TimerWheelEntry* sort_by_deadline(TimerWheelEntry* chain) noexcept {
  if (chain == nullptr || chain->next == nullptr) return chain;
  TimerWheelEntry* slow = chain;
  for (TimerWheelEntry* fast = chain->next; fast != nullptr && fast->next != nullptr; fast = fast->next->next) {
    slow = slow->next;
  }
  TimerWheelEntry* second = sort_by_deadline(slow->next);
  slow->next = nullptr;
  TimerWheelEntry* first = sort_by_deadline(chain);
  TimerWheelEntry* merged = nullptr;
  TimerWheelEntry** tail = &merged;
  while (first != nullptr && second != nullptr) {
    TimerWheelEntry*& smaller = second->deadline < first->deadline ? second : first;
    *tail = smaller;
    tail = &smaller->next;
    smaller = smaller->next;
  }
  *tail = first != nullptr ? first : second;
  return merged;
}

}  // namespace

// ---- intrusive lists ----------------------------------------------------------------------

void TimerWheel::List::push(TimerWheelEntry* entry) noexcept {
  entry->prev = nullptr;
  entry->next = head;
  if (head != nullptr) head->prev = entry;
  head = entry;
}

void TimerWheel::List::unlink(TimerWheelEntry* entry) noexcept {
  if (entry->prev != nullptr) {
    entry->prev->next = entry->next;
  } else {
    head = entry->next;
  }
  if (entry->next != nullptr) entry->next->prev = entry->prev;
  entry->prev = entry->next = nullptr;
}

// ---- time <-> ticks -------------------------------------------------------------------------

TimerWheel::TimerWheel(Clock::time_point origin) noexcept : origin_(origin) {}

std::uint64_t TimerWheel::tick_of(Clock::time_point t) const noexcept {
  if (t <= origin_) return 0;
  // Unsigned difference: exact for t > origin_ even when the signed one would overflow.
  const std::uint64_t nanos = static_cast<std::uint64_t>(t.time_since_epoch().count()) -
                              static_cast<std::uint64_t>(origin_.time_since_epoch().count());
  return nanos / static_cast<std::uint64_t>(kTick.count());
}

TimerWheel::Clock::time_point TimerWheel::time_of(std::uint64_t tick) const noexcept {
  const auto tick_nanos = static_cast<std::uint64_t>(kTick.count());
  const auto room = static_cast<std::uint64_t>(Clock::time_point::max().time_since_epoch().count() -
                                               origin_.time_since_epoch().count());
  if (tick > room / tick_nanos) return Clock::time_point::max();
  return origin_ + Clock::duration(static_cast<Clock::rep>(tick * tick_nanos));
}

// ---- filing -----------------------------------------------------------------------------------

void TimerWheel::insert(TimerWheelEntry* entry, Clock::time_point deadline) noexcept {
  assert(!entry->linked);
  entry->deadline = deadline;
  entry->tick = tick_of(deadline);
  entry->linked = true;
  ++size_;
  file(entry);
}

void TimerWheel::file(TimerWheelEntry* entry) noexcept {
  if (entry->tick <= elapsed_) {
    entry->level = kInDue;
    due_.push(entry);
    return;
  }
  const unsigned level = level_for(elapsed_, entry->tick);
  const auto slot = static_cast<unsigned>((entry->tick >> (kSlotBits * level)) & kSlotMask);
  entry->level = static_cast<std::uint8_t>(level);
  entry->slot = static_cast<std::uint8_t>(slot);
  levels_[level].slots[slot].push(entry);
  levels_[level].occupied |= std::uint64_t{1} << slot;
}

void TimerWheel::remove(TimerWheelEntry* entry) noexcept {
  assert(entry->linked);
  if (entry->level == kInDue) {
    due_.unlink(entry);
  } else {
    Level& level = levels_[entry->level];
    List& list = level.slots[entry->slot];
    list.unlink(entry);
    if (list.head == nullptr) level.occupied &= ~(std::uint64_t{1} << entry->slot);
  }
  entry->linked = false;
  --size_;
}

// ---- expiring ---------------------------------------------------------------------------------

std::optional<TimerWheel::Expiration> TimerWheel::next_expiration() const noexcept {
  for (unsigned level = 0; level < kLevels; ++level) {
    const std::uint64_t occupied = levels_[level].occupied;
    if (occupied == 0) continue;
    const std::uint64_t span = slot_span(level);
    const std::uint64_t rotation = span << kSlotBits;  // the whole level
    const unsigned now_slot = static_cast<unsigned>((elapsed_ >> (kSlotBits * level)) & kSlotMask);
    const std::uint64_t rotation_start = elapsed_ & ~(rotation - 1);
    // Slots after elapsed_'s are ahead in this rotation. Below the top level
    // every entry is (the class invariant); at the top, entries beyond the wheel
    // may sit at or before elapsed_'s slot: they come round in the next rotation.
    const std::uint64_t ahead = now_slot == kSlotMask ? 0 : occupied & (~std::uint64_t{0} << (now_slot + 1));
    if (ahead != 0) {
      const auto slot = static_cast<unsigned>(std::countr_zero(ahead));
      return Expiration{level, slot, rotation_start + slot * span};
    }
    assert(level == kTopLevel);
    const auto slot = static_cast<unsigned>(std::countr_zero(occupied));
    return Expiration{level, slot, rotation_start + slot * span + rotation};
  }
  return std::nullopt;
}

void TimerWheel::process(const Expiration& expiration) noexcept {
  Level& level = levels_[expiration.level];
  TimerWheelEntry* entry = level.slots[expiration.slot].head;
  level.slots[expiration.slot].head = nullptr;
  level.occupied &= ~(std::uint64_t{1} << expiration.slot);
  elapsed_ = expiration.start;
  while (entry != nullptr) {
    TimerWheelEntry* next = entry->next;
    file(entry);  // due (tick <= elapsed_) or one level lower at least
    entry = next;
  }
}

void TimerWheel::collect_due(Clock::time_point now, TimerWheelEntry**& tail) noexcept {
  TimerWheelEntry* entry = due_.head;
  while (entry != nullptr) {
    TimerWheelEntry* next = entry->next;
    if (entry->deadline <= now) {
      due_.unlink(entry);
      entry->linked = false;
      --size_;
      *tail = entry;
      tail = &entry->next;
    }
    entry = next;
  }
}

TimerWheelEntry* TimerWheel::advance(Clock::time_point now) noexcept {
  const std::uint64_t now_tick = tick_of(now);
  for (;;) {
    const std::optional<Expiration> expiration = next_expiration();
    if (!expiration || expiration->start > now_tick) break;
    process(*expiration);
  }
  if (now_tick > elapsed_) elapsed_ = now_tick;
  TimerWheelEntry* chain = nullptr;
  TimerWheelEntry** tail = &chain;
  collect_due(now, tail);
  *tail = nullptr;
  return sort_by_deadline(chain);
}

TimerWheelEntry* TimerWheel::take_all() noexcept {
  TimerWheelEntry* chain = nullptr;
  TimerWheelEntry** tail = &chain;
  collect_due(Clock::time_point::max(), tail);
  for (Level& level : levels_) {
    for (List& list : level.slots) {
      while (TimerWheelEntry* entry = list.head) {
        list.unlink(entry);
        entry->linked = false;
        *tail = entry;
        tail = &entry->next;
      }
    }
    level.occupied = 0;
  }
  *tail = nullptr;
  size_ = 0;
  return sort_by_deadline(chain);
}

std::optional<TimerWheel::Clock::time_point> TimerWheel::next_deadline() const noexcept {
  std::optional<Clock::time_point> earliest;
  auto consider = [&earliest](Clock::time_point t) {
    if (!earliest || t < *earliest) earliest = t;
  };
  for (const TimerWheelEntry* e = due_.head; e != nullptr; e = e->next) consider(e->deadline);
  if (const std::optional<Expiration> expiration = next_expiration()) {
    if (expiration->level == 0) {
      // One tick's entries: their exact earliest deadline, so a sleeper wakes once.
      const List& list = levels_[0].slots[expiration->slot];
      for (const TimerWheelEntry* e = list.head; e != nullptr; e = e->next) consider(e->deadline);
    } else {
      consider(time_of(expiration->start));  // re-filed there, then asked again
    }
  }
  return earliest;
}

}  // namespace tact::detail
