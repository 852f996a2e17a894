#include "actor/sampled_send.hpp"

#include <cstdint>
#include <new>

#include "actor/cell.hpp"
#include "actor/runtime_core.hpp"
#include "metrics/sampling.hpp"
#include "scheduler/worker.hpp"

namespace tact::detail {
namespace {

// What a sampled envelope's own function was, and when it was sent.
struct SampleRecord : PoolAllocated {
  Envelope::Fn fn;
  std::uint64_t sent_at;
};

// The messages linked behind `node` in its mailbox (or stash, or lane: each
// links its messages through `next` too), up to kDepthWalkLimit. The runner's
// walk: nodes behind the one it handles are handed out only by its own later
// pops, so each stays alive while we read it; a push not linked yet is missed.
std::uint64_t queued_behind(const MpscNode* node) noexcept {
  std::uint64_t n = 0;
  // acquire: pairs with the release link store in push(), so the next
  // node's own `next` is initialised before we read it.
  while (n < kDepthWalkLimit && (node = node->next.load(acquire)) != nullptr) ++n;
  return n;
}

// kDepthWalkIntervalNs in ticks, measured at the first use (tick_rate's error
// then is the clock's jitter over the process's age: a few % at worst).
std::uint64_t depth_walk_interval() noexcept {
  static const auto interval = static_cast<std::uint64_t>(static_cast<double>(kDepthWalkIntervalNs) * tick_rate());
  return interval;
}

// The slot's depth sample, if its last one is older than the interval.
void sample_depth(ClassMetrics& stats, const MpscNode* node, std::uint64_t now) noexcept {
  const std::uint64_t last = stat_read(stats.depth_sampled_at);
  if (last != 0 && now - last < depth_walk_interval()) return;
  const std::uint64_t depth = queued_behind(node);
  stat_set(stats.depth_sampled, depth);
  stat_set(stats.depth_sampled_at, now);
  if (depth > stat_read(stats.depth_high_water)) stat_set(stats.depth_high_water, depth);
}

}  // namespace

std::uint32_t sample_send(Cell* cell, Envelope* envelope) noexcept {
  // Config is immutable once the runtime runs. A thread sending into a
  // runtime without metrics comes back here only after 2^32 sends.
  if (!cell->runtime()->scheduler().config().metrics) return ~std::uint32_t{0};
  if (envelope->fn == &run_sampled) return kSamplePeriod;  // delivered again before it ran: sampled already
  SampleRecord* record;
  try {
    record = new SampleRecord;
  } catch (const std::bad_alloc&) {
    return kSamplePeriod;  // no memory: this one goes untimed
  }
  record->fn = envelope->fn;
  record->sent_at = read_ticks();
  envelope->sample = record;
  envelope->fn = &run_sampled;
  return kSamplePeriod;
}

void run_sampled(Envelope* self, CellBase* cell, void* object, EnvelopeOp op) noexcept {
  // The runner owns the envelope (and so the record: the push's release, the
  // pop's acquire): the original function goes back before anything runs it.
  auto* record = static_cast<SampleRecord*>(self->sample);
  const Envelope::Fn fn = record->fn;
  const std::uint64_t sent_at = record->sent_at;
  delete record;
  self->fn = fn;
  Worker* worker = current_worker_any();
  if (!is_handle(op) || worker == nullptr) {  // rejected or freed unhandled: nothing to time
    fn(self, cell, object, op);
    return;
  }
  // Looked up before the handler, which may stop (and free) the actor.
  ClassMetrics* stats = worker->metrics().class_slot(Cell::from(cell)->vtable);
  const std::uint64_t start = read_ticks();
  // Another core's TSC may be a few ticks ahead: a negative wait is 0.
  stats->mailbox_wait.record(start > sent_at ? start - sent_at : 0);
  sample_depth(*stats, self, start);
  fn(self, cell, object, op);
  const std::uint64_t end = read_ticks();
  stats->handler_time.record(end > start ? end - start : 0);
}

}  // namespace tact::detail
