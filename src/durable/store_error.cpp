#include "durable/store_error.hpp"

namespace tact::nats::durable {

StoreError store_error(natsStatus status, jsErrCode code) {
  StoreError error;
  error.status = status;
  error.js_code = static_cast<int>(code);
  if (status != NATS_OK) {
    const char* last = nats_GetLastError(nullptr);
    error.text =
        std::string(natsStatus_GetText(status)) + (last != nullptr && *last != '\0' ? std::string(": ") + last : "");
  }
  return error;
}

namespace {
// What a status usually means here; "" when the text says enough.
const char* likely_cause(natsStatus status) {
  switch (status) {
    case NATS_NO_RESPONDERS:
      // Clustered streams take writes at their leader only (nats-server 2.9).
      return "no JetStream server took the request: the stream or bucket has no leader (an election "
             "follows the loss of a server and takes seconds), or no JetStream server is up";
    case NATS_TIMEOUT:
      return "no answer in time: the leader may have been lost, or is overloaded";
    case NATS_CONNECTION_CLOSED:
      return "the connection to NATS is closed (the host is closing)";
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NO_SERVER:
      return "the connection to NATS is down (reconnecting)";
    default:
      return "";
  }
}
}  // namespace

std::string describe(const StoreError& error) {
  if (!error) return "no error";
  std::string text = error.text.empty() ? natsStatus_GetText(error.status) : error.text;
  if (error.js_code != 0) text += " (JetStream error " + std::to_string(error.js_code) + ")";
  const std::string cause = error.disconnected ? "the connection to NATS is down (reconnecting)"
                                               : likely_cause(error.status);
  if (!cause.empty()) text += ": " + cause;
  return text;
}

}  // namespace tact::nats::durable
