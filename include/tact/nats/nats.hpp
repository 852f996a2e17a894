// tact::nats: remote actors over NATS (docs/remote.md). Link tact::nats.
#pragma once

#include "tact/nats/codec.hpp"
#include "tact/nats/errors.hpp"
#include "tact/nats/node.hpp"
