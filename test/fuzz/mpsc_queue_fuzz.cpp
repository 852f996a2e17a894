// libFuzzer target: BasicMpscQueue (src/mailbox/mpsc_queue.hpp), both layouts, driven
// by a byte string of operations on one thread and checked against a std::deque
// model. Single-threaded: this covers the queue's sequential contract (FIFO order,
// the empty -> non-empty edge push() reports, try_mark_empty(), pop_batch(), the
// Reader, and retirement: every node is retired exactly once, never while it is the
// dummy, the stub never). Retired nodes are freed at once, so ASan reports any later
// touch by the queue. The concurrent properties are the stress and sim tests' job.
//
// Ops (one byte each, low 3 bits): 0-2 push, 3 pop, 4 pop_batch(next byte % 9),
// 5 try_mark_empty, 6 empty(), 7 a Reader popping (next byte % 5) then committing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <set>

#include "mailbox/mpsc_queue.hpp"

namespace {

using tact::detail::BasicMpscQueue;
using tact::detail::MpscLayout;
using tact::detail::MpscNode;

struct Node : MpscNode {
  explicit Node(std::uint64_t v) : value(v) {}
  std::uint64_t value;
};

void check(bool ok) {
  if (!ok) std::abort();
}

template <MpscLayout kLayout>
void run(const std::uint8_t* data, std::size_t size) {
  BasicMpscQueue<kLayout> q;
  std::deque<std::uint64_t> model;
  bool marked_empty = true;     // a new queue is marked empty
  Node* dummy = nullptr;        // the node last handed out, still in the queue
  std::set<Node*> live;         // allocated, not yet retired
  std::uint64_t next_value = 0;

  auto retire = [&](MpscNode* r, Node* expected) {
    check(static_cast<Node*>(r) == expected);
    if (r != nullptr) {
      check(live.erase(static_cast<Node*>(r)) == 1);
      delete static_cast<Node*>(r);
    }
  };
  auto take = [&](MpscNode* n) {
    check(!model.empty());
    check(static_cast<Node*>(n)->value == model.front());
    model.pop_front();
    dummy = static_cast<Node*>(n);
  };

  for (std::size_t i = 0; i < size; ++i) {
    const std::uint8_t op = data[i] & 7;
    const std::uint8_t arg = i + 1 < size ? data[i + 1] : 0;
    switch (op) {
      case 0: case 1: case 2: {
        Node* n = new Node(next_value++);
        live.insert(n);
        const bool edge = q.push(n);
        check(edge == marked_empty);
        marked_empty = false;
        model.push_back(n->value);
        break;
      }
      case 3: {
        if (marked_empty) break;  // consumer calls need consumer rights
        MpscNode* retired = nullptr;
        MpscNode* n = q.pop(retired);
        if (model.empty()) {
          check(n == nullptr && retired == nullptr);
        } else {
          check(n != nullptr);
          retire(retired, dummy);
          take(n);
        }
        break;
      }
      case 4: {
        if (marked_empty) break;
        ++i;
        MpscNode* out[8];
        const std::size_t max = arg % 9;
        MpscNode* retired = nullptr;
        const std::size_t got = q.pop_batch(out, max, retired);
        check(got == (model.size() < max ? model.size() : max));
        if (got == 0) {
          check(retired == nullptr);
          break;
        }
        retire(retired, dummy);
        for (std::size_t k = 0; k < got; ++k) {
          if (k > 0) retire(out[k - 1], dummy);
          take(out[k]);
        }
        break;
      }
      case 5: {
        if (marked_empty) break;
        MpscNode* retired = nullptr;
        const bool ok = q.try_mark_empty(retired);
        check(ok == model.empty());
        if (ok) {
          retire(retired, dummy);
          dummy = nullptr;
          marked_empty = true;
        } else {
          check(retired == nullptr);
        }
        break;
      }
      case 6:
        if (marked_empty) break;
        check(q.empty() == model.empty());
        break;
      case 7: {
        if (marked_empty) break;
        ++i;
        typename BasicMpscQueue<kLayout>::Reader reader(q);
        for (int k = 0; k < arg % 5; ++k) {
          MpscNode* retired = nullptr;
          MpscNode* n = reader.pop(retired);
          if (model.empty()) {
            check(n == nullptr);
            break;
          }
          retire(retired, dummy);
          take(n);
        }
        reader.commit();
        break;
      }
    }
    check(live.size() == model.size() + (dummy != nullptr ? 1 : 0));
  }
  // Drain, give up the rights: every node comes back exactly once.
  if (!marked_empty) {
    MpscNode* retired = nullptr;
    while (MpscNode* n = q.pop(retired)) {
      retire(retired, dummy);
      take(n);
    }
    check(model.empty());
    check(q.try_mark_empty(retired));
    retire(retired, dummy);
  }
  check(live.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) != 0) {
    run<MpscLayout::kCompact>(data + 1, size - 1);
  } else {
    run<MpscLayout::kSeparateLines>(data + 1, size - 1);
  }
  return 0;
}
