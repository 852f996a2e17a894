#include "actor/stash.hpp"

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "tact/errors.hpp"

namespace tact::detail {

// relaxed on `next` throughout: the stash is runner-only; the envelope's link is
// an Atomic only because a mailbox node's is.
void Stash::List::push_back(Envelope* envelope) noexcept {
  envelope->next.store(nullptr, relaxed);
  if (tail == nullptr) {
    head = envelope;
  } else {
    tail->next.store(envelope, relaxed);
  }
  tail = envelope;
  ++size;
}

Envelope* Stash::List::pop_front() noexcept {
  Envelope* envelope = head;
  if (envelope == nullptr) return nullptr;
  head = static_cast<Envelope*>(envelope->next.load(relaxed));
  if (head == nullptr) tail = nullptr;
  --size;
  return envelope;
}

bool Stash::unstash_all() noexcept {
  if (stashed_.head == nullptr) return false;
  if (replay_.head != nullptr) stashed_.tail->next.store(replay_.head, relaxed);
  else replay_.tail = stashed_.tail;
  replay_.head = stashed_.head;
  replay_.size += stashed_.size;
  stashed_ = List{};
  return true;
}

void Stash::reject_all(Cell* cell) noexcept {
  for (List* list : {&replay_, &stashed_}) {
    while (Envelope* envelope = list->pop_front()) {
      envelope->fn(envelope, cell, nullptr, EnvelopeOp::kReject);
      envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);
    }
  }
}

Stash::~Stash() {
  // Only if the actor never ran its stop (a runtime torn down mid-way): answer
  // nobody, free the memory. Asks were rejected by reject_all otherwise.
  for (List* list : {&replay_, &stashed_}) {
    while (Envelope* envelope = list->pop_front()) {
      envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);
    }
  }
}

// ---- inside a handler (runtime_abi.hpp) ---------------------------------------------------------

void handler_stash_room(CellBase* base, std::size_t capacity) {
  Cell* cell = Cell::from(base);
  CellExtras* extras = extras_if_any(cell);
  const std::size_t stashed = extras == nullptr ? 0 : extras->stash.size();
  if (stashed >= capacity) throw StashFull();
  (void)extras_or_make(cell);  // may throw bad_alloc: before anything is moved
}

void handler_stash(CellBase* base, Envelope* envelope) noexcept {
  extras_known(Cell::from(base)).stash.push(envelope);  // handler_stash_room made them
}

void handler_unstash_all(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  CellExtras* extras = extras_if_any(cell);
  if (extras == nullptr || !extras->stash.unstash_all()) return;
  cell->requests.changes |= HandlerRequests::kUnstash;
}

std::size_t handler_stash_size(CellBase* base) noexcept {
  CellExtras* extras = extras_if_any(Cell::from(base));
  return extras == nullptr ? 0 : extras->stash.size();
}

}  // namespace tact::detail
