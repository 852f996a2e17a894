// Supervisor: the restart decisions (tact/supervisor.hpp has the rules). The
// mechanics of parking and rebuilding a child are in child.cpp.
#include "tact/detail/clock.hpp"
#include "tact/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "actor/supervision/child_control.hpp"
#include "actor/supervision/restart_timer.hpp"
#include "reply/errors.hpp"

namespace tact {
namespace detail {

using Clock = std::chrono::steady_clock;

struct ChildRecord {
  enum class Phase : unsigned char {
    kUp,         // running
    kGoingDown,  // ordered down for a sibling's restart; its ChildDown is due
    kDown,       // parked, restart due at restart_at
    kStopping,   // stopped for good (killed while parked): its ChildStopped is due
  };
  ActorAddress address;
  Phase phase = Phase::kUp;
  std::uint32_t incarnation = 0;  // the child's, as of its last ChildDown or restart
  int recent_failures = 0;        // within spec.within of each other (for the backoff)
  Clock::time_point last_failure{};
  Clock::time_point restart_at{};
};

struct SupervisorState {
  explicit SupervisorState(SupervisorSpec s) : spec(s) {}

  SupervisorSpec spec;
  std::vector<ChildRecord> children;  // in start order (rest_for_one)
  std::deque<Clock::time_point> failures;  // those within spec.within
  SupervisorStats stats;
  CellBase* self = nullptr;  // our cell (not counted: we live in it)
  std::optional<Clock::time_point> timer_armed_for;
  std::unique_ptr<RestartTimer> timer;  // once some restart backs off

  ChildRecord* find(const ActorAddress& who) {
    for (ChildRecord& child : children) {
      if (child.address == who) return &child;
    }
    return nullptr;
  }

  // One more failure; gives up (throws) past the intensity.
  void count_failure(Clock::time_point now, const std::exception_ptr& cause) {
    ++stats.failures;
    failures.push_back(now);
    while (!failures.empty() && now - failures.front() > spec.within) failures.pop_front();
    if (failures.size() > static_cast<std::size_t>(std::max(spec.max_restarts, 0))) {
      throw RestartLimitExceeded("tact: supervisor gave up: " + std::to_string(failures.size()) +
                                 " failures within " + std::to_string(spec.within.count()) +
                                 " ms (max_restarts " + std::to_string(spec.max_restarts) +
                                 "); last: " + describe_exception(cause));
    }
  }

  // The child's next restart waits first * 2^(k-1), k its failures within
  // spec.within of each other, at most max.
  Clock::duration backoff(ChildRecord& child, Clock::time_point now) const {
    child.recent_failures = now - child.last_failure > spec.within ? 1 : child.recent_failures + 1;
    child.last_failure = now;
    Clock::duration delay = spec.backoff.first;
    const Clock::duration cap = std::max<Clock::duration>(spec.backoff.max, spec.backoff.first);
    for (int k = 1; k < child.recent_failures && delay < cap; ++k) delay *= 2;
    return std::min(delay, cap);
  }

  // The children that go down with children[failed] (itself included).
  std::pair<std::size_t, std::size_t> group(std::size_t failed) const {
    switch (spec.strategy) {
      case Restart::one_for_one:
        return {failed, failed + 1};
      case Restart::one_for_all:
        return {0, children.size()};
      case Restart::rest_for_one:
        return {failed, children.size()};
    }
    return {failed, failed + 1};
  }

  // Rebuilds every down child whose time has come, in start order, unless a
  // group is still going down (its members restart together); arms the timer
  // for the next.
  void restart_due() {
    for (const ChildRecord& child : children) {
      if (child.phase == ChildRecord::Phase::kGoingDown) return;
    }
    const Clock::time_point now = ::tact::detail::steady_now();
    std::optional<Clock::time_point> next;
    for (ChildRecord& child : children) {
      if (child.phase != ChildRecord::Phase::kDown) continue;
      if (child.restart_at <= now) {
        // The child rebuilds itself; a factory or on_start that throws comes
        // back as another ChildDown.
        if (child_restart(AddressAccess::cell(child.address))) {
          child.phase = ChildRecord::Phase::kUp;
          ++child.incarnation;
          ++stats.restarts;
        } else {
          child.phase = ChildRecord::Phase::kStopping;
        }
        continue;
      }
      next = next ? std::min(*next, child.restart_at) : child.restart_at;
    }
    if (next) arm(*next);
  }

  void arm(Clock::time_point at) {
    if (timer_armed_for && *timer_armed_for <= at) return;
    timer_armed_for = at;
    if (!timer) timer = std::make_unique<RestartTimer>(self);
    timer->wake_at(at);
  }
};

}  // namespace detail

Supervisor::Supervisor(SupervisorSpec spec) : state_(std::make_unique<detail::SupervisorState>(spec)) {}
Supervisor::Supervisor(Supervisor&&) noexcept = default;
Supervisor& Supervisor::operator=(Supervisor&&) noexcept = default;
Supervisor::~Supervisor() = default;

void Supervisor::adopt(ActorAddress child, detail::CellBase* self) {
  state_->self = self;
  state_->children.push_back(detail::ChildRecord{std::move(child)});
}

SupervisorStats Supervisor::handle(GetSupervisorStats) const {
  SupervisorStats stats = state_->stats;
  stats.children = state_->children.size();
  return stats;
}

void Supervisor::handle(detail::ChildDown down) {
  using Phase = detail::ChildRecord::Phase;
  detail::SupervisorState& s = *state_;
  detail::ChildRecord* child = s.find(down.who);
  if (child == nullptr) return;  // not ours (any more)
  child->phase = Phase::kDown;
  child->incarnation = down.incarnation;
  if (down.failed) {
    const auto now = ::tact::detail::steady_now();
    s.count_failure(now, down.error);  // may give up: we fail, on_stop stops the children
    child->restart_at = now + s.backoff(*child, now);
    const auto failed = static_cast<std::size_t>(child - s.children.data());
    const auto [first, last] = s.group(failed);
    for (std::size_t i = first; i < last; ++i) {
      detail::ChildRecord& sibling = s.children[i];
      if (i == failed) continue;
      if (sibling.phase == Phase::kUp) {
        detail::child_take_down(detail::AddressAccess::cell(sibling.address), sibling.incarnation);
        sibling.phase = Phase::kGoingDown;
      }
      sibling.restart_at = std::max(sibling.restart_at, child->restart_at);
    }
  }
  s.restart_due();
}

void Supervisor::handle(detail::ChildStopped stopped) {
  auto& children = state_->children;
  auto it = std::find_if(children.begin(), children.end(),
                         [&](const detail::ChildRecord& c) { return c.address == stopped.who; });
  if (it == children.end()) return;
  children.erase(it);
  state_->restart_due();  // a group may have been waiting for it
}

void Supervisor::handle(detail::RestartDue) {
  state_->timer_armed_for.reset();
  state_->restart_due();
}

void Supervisor::on_stop() {
  if (!state_) return;
  for (const detail::ChildRecord& child : state_->children) {
    detail::child_stop(detail::AddressAccess::cell(child.address));
  }
  state_->children.clear();
  state_->timer.reset();  // joins its thread
}

}  // namespace tact
