#include "durable/async_publisher.hpp"

#include <string>
#include <utility>

#include "tact/errors.hpp"

namespace tact::nats::durable {

namespace {
StoreError error_of(natsStatus status, int js_code, const char* text) {
  StoreError error;
  error.status = status == NATS_OK ? NATS_ERR : status;
  error.js_code = js_code;
  error.text = natsStatus_GetText(error.status);
  if (text != nullptr && *text != '\0') error.text += std::string(": ") + text;
  return error;
}
}  // namespace

AsyncPublisher::AsyncPublisher(natsConnection* connection) {
  jsOptions options;
  jsOptions_Init(&options);
  options.PublishAsync.AckHandler = &AsyncPublisher::on_ack;
  options.PublishAsync.AckHandlerClosure = this;
  const natsStatus status = natsConnection_JetStream(&js_, connection, &options);
  if (status != NATS_OK) {
    throw tact::Error(std::string("tact::nats durable: opening JetStream for appends failed: ") +
                      natsStatus_GetText(status));
  }
}

AsyncPublisher::~AsyncPublisher() {
  close();
  jsCtx_Destroy(js_);
}

void AsyncPublisher::publish(natsMsg* msg, int max_wait_ms, Done done) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (closed_) {
      lock.unlock();
      natsMsg_Destroy(msg);
      done(PublishAck{false, 0, error_of(NATS_CONNECTION_CLOSED, 0, "the store is closing")});
      return;
    }
    // Before the publish: its ack may come before js_PublishMsgAsync returns.
    pending_.emplace(msg, std::move(done));
  }
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = max_wait_ms > 0 ? max_wait_ms : 1;
  natsMsg* sent = msg;
  const natsStatus status = js_PublishMsgAsync(js_, &sent, &options);
  if (status == NATS_OK) return;  // nats.c owns it; on_ack comes
  // Not sent (nats.c leaves the message to us): the ack never comes.
  const std::string why = nats_GetLastError(nullptr) != nullptr ? nats_GetLastError(nullptr) : "";
  Done failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(msg);
    if (it != pending_.end()) {
      failed = std::move(it->second);
      pending_.erase(it);
    }
  }
  natsMsg_Destroy(msg);
  if (failed) failed(PublishAck{false, 0, error_of(status, 0, why.c_str())});
}

void AsyncPublisher::close() {
  std::unordered_map<natsMsg*, Done> abandoned;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    abandoned.swap(pending_);
  }
  for (auto& [msg, done] : abandoned) {
    done(PublishAck{false, 0, error_of(NATS_CONNECTION_CLOSED, 0, "the store is closing")});
  }
  // Until every publish is acked or timed out (each has a MaxWait), and so no
  // on_ack is running: nats.c counts a publish done after its handler returns.
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = 10000;
  (void)js_PublishAsyncComplete(js_, &options);
}

void AsyncPublisher::on_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* self) {
  static_cast<AsyncPublisher*>(self)->acked(msg, ack, error);
  natsMsg_Destroy(msg);  // ours once the handler has it (nats.h, jsPubAckHandler)
}

void AsyncPublisher::acked(natsMsg* msg, const jsPubAck* ack, const jsPubAckErr* error) {
  Done done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(msg);
    if (closed_ || it == pending_.end()) return;  // close() answered it
    done = std::move(it->second);
    pending_.erase(it);
  }
  PublishAck result;
  if (ack != nullptr) {
    result.stored = true;
    result.sequence = ack->Sequence;
  } else if (error != nullptr) {
    result.error = error_of(error->Err, static_cast<int>(error->ErrCode), error->ErrText);
  } else {
    result.error = error_of(NATS_ERR, 0, "an ack with neither outcome");
  }
  done(result);
}

}  // namespace tact::nats::durable
