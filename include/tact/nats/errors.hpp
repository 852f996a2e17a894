// The errors only remote refs produce (tact::nats). The local ones
// (ActorStopped, Timeout, MailboxFull, HandlerFailed) mean the same remotely:
// docs/remote.md.
#pragma once

#include <string>

#include "tact/errors.hpp"

namespace tact {

// The node that carried the request went away before the answer came: this
// node was closed, lost its NATS connection for good, or (remote watch) the
// remote node stopped answering heartbeats.
class NodeDown : public Error {
 public:
  NodeDown() : Error("tact: the node is down (the request's answer can no longer come)") {}
  using Error::Error;
};

namespace nats {

// HandlerFailed's cause() for a remote handler that threw: what() is the remote
// exception's what().
class RemoteError : public Error {
 public:
  using Error::Error;
};

// A message or a reply that could not be decoded (or had an unknown type).
class BadMessage : public Error {
 public:
  using Error::Error;
};

}  // namespace nats
}  // namespace tact
