// The mutex and condition variable the runtime locks with, through one header so
// that the simulation build (TACT_SIM, src/sim/) can make every lock and wait a
// scheduling point. Without TACT_SIM they are exactly std::mutex and
// std::condition_variable.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(TACT_SIM)
#include "sim/sim.hpp"
#endif

namespace tact::detail {

#if defined(TACT_SIM)
using Mutex = sim::Mutex;
using CondVar = sim::CondVar;
#else
using Mutex = std::mutex;
using CondVar = std::condition_variable;
#endif

}  // namespace tact::detail
