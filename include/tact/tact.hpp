// tact: a C++20 actor runtime. Include this one header.
#pragma once

#include "tact/actor_ref.hpp"
#include "tact/address.hpp"
#include "tact/behaviour.hpp"
#include "tact/config.hpp"
#include "tact/context.hpp"
#include "tact/delegated.hpp"
#include "tact/down.hpp"
#include "tact/errors.hpp"
#include "tact/exit.hpp"
#include "tact/outcome.hpp"
#include "tact/reply.hpp"
#include "tact/runtime.hpp"
#include "tact/supervisor.hpp"
#include "tact/task.hpp"
#include "tact/timeout.hpp"
#include "tact/timer.hpp"
