// The NodeOptions the nats tests give a node: one server, a name.
#pragma once

#include <string>
#include <utility>

#include <tact/nats/node.hpp>

#include "nats/nats_server.hpp"

namespace tact::test {

inline tact::nats::NodeOptions options_for(const NatsServer& server, std::string name) {
  tact::nats::NodeOptions options;
  options.servers = {server.url()};
  options.name = std::move(name);
  return options;
}

}  // namespace tact::test
