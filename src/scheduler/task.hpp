// Task: what the scheduler runs. The scheduler knows nothing of actors: the
// runtime's actor cell derives from Task, and the scheduler calls the RunTask
// function it was built with. (Tests schedule their own Task types.)
#pragma once

namespace tact::detail {

class Worker;

struct Task {};

// Runs `task` once on `worker` (an actor cell: up to one budget of messages).
// The function reschedules the task itself if it still has work.
using RunTask = void (*)(Task* task, Worker& worker, void* context);

}  // namespace tact::detail
