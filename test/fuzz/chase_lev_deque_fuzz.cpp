// libFuzzer target: ChaseLevDeque (src/scheduler/chase_lev_deque.hpp) driven by a
// byte string of operations on one thread against a std::deque model: push (owner,
// bottom), pop (owner, bottom, LIFO), steal (top, FIFO), steal_half into a second
// deque (which is checked against its own model), size(). Capacity is small and
// picked by the first byte, so the full deque, wrap-around of the ring indices and
// the last-item race's code path (t == b) are all reached. Every item is a distinct
// heap object freed when taken, so ASan reports a double take or a stale slot read.
//
// Ops (low 3 bits): 0-1 push, 2 pop, 3 steal, 4 steal_half, 5 pop from the second
// deque, 6 steal from the second deque, 7 size checks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>

#include "scheduler/chase_lev_deque.hpp"

namespace {

using tact::detail::ChaseLevDeque;
using tact::detail::StealStatus;

struct Item {
  std::uint64_t value;
};

void check(bool ok) {
  if (!ok) std::abort();
}

Item* take_front(std::deque<Item*>& m) {
  Item* it = m.front();
  m.pop_front();
  return it;
}
Item* take_back(std::deque<Item*>& m) {
  Item* it = m.back();
  m.pop_back();
  return it;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cap_a = std::size_t{2} << (data[0] & 3);         // 2..16
  const std::size_t cap_b = std::size_t{2} << ((data[0] >> 2) & 3);  // 2..16
  ChaseLevDeque<Item> a(cap_a);
  ChaseLevDeque<Item> b(cap_b);
  std::deque<Item*> ma;  // front = top (oldest), back = bottom
  std::deque<Item*> mb;
  std::uint64_t next = 0;

  for (std::size_t i = 1; i < size; ++i) {
    switch (data[i] & 7) {
      case 0: case 1: {
        Item* it = new Item{next++};
        const bool pushed = a.push(it);
        check(pushed == (ma.size() < cap_a));
        if (pushed) {
          ma.push_back(it);
        } else {
          delete it;
        }
        break;
      }
      case 2: {
        Item* got = a.pop();
        if (ma.empty()) {
          check(got == nullptr);
        } else {
          Item* want = take_back(ma);
          check(got == want);
          delete got;
        }
        break;
      }
      case 3: {
        auto r = a.steal();
        if (ma.empty()) {
          check(r.status == StealStatus::kEmpty && r.item == nullptr);
        } else {
          check(r.status == StealStatus::kSuccess);  // no contention on one thread
          Item* want = take_front(ma);
          check(r.item == want);
          delete r.item;
        }
        break;
      }
      case 4: {
        const std::size_t n = ma.size();
        auto r = a.steal_half(b);
        if (n == 0) {
          check(r.status == StealStatus::kEmpty);
          break;
        }
        check(r.status == StealStatus::kSuccess && r.item == take_front(ma));
        delete r.item;
        std::size_t want = (n - 1) / 2;
        const std::size_t room = cap_b - mb.size();
        if (want > room) want = room;
        for (std::size_t k = 0; k < want; ++k) mb.push_back(take_front(ma));
        check(a.size() == ma.size() && b.size() == mb.size());
        break;
      }
      case 5: {
        Item* got = b.pop();
        if (mb.empty()) {
          check(got == nullptr);
        } else {
          check(got == take_back(mb));
          delete got;
        }
        break;
      }
      case 6: {
        auto r = b.steal();
        if (mb.empty()) {
          check(r.status == StealStatus::kEmpty);
        } else {
          check(r.status == StealStatus::kSuccess && r.item == take_front(mb));
          delete r.item;
        }
        break;
      }
      case 7:
        check(a.size() == ma.size() && b.size() == mb.size());
        check(a.empty() == ma.empty() && a.capacity() == cap_a);
        break;
    }
  }
  for (Item* it : ma) delete it;
  for (Item* it : mb) delete it;
  return 0;
}
