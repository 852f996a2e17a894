#include "durable/event_log.hpp"

#include <algorithm>
#include <thread>
#include <utility>

namespace tact::nats::durable {

namespace {

constexpr int kWrongLastSequence = 10071;  // JSStreamWrongLastSequenceErrF

struct MsgDeleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
using Msg = std::unique_ptr<natsMsg, MsgDeleter>;

std::string header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

EventLog::EventLog(JetStream& store, std::string name)
    : store_(store), subject_(store.events_subject(name)) {}

LastEvent EventLog::last() const {
  LastEvent last;
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetLastMsg(&raw, store_.context(), store_.events_stream().c_str(),
                                    subject_.c_str(), nullptr, &code);
  Msg msg(raw);
  if (status == NATS_NOT_FOUND) return last;  // no events yet
  if (status != NATS_OK) {
    last.error = store_error(status, code);
    return last;
  }
  last.sequence = natsMsg_GetSequence(msg.get());
  last.msg_id = header(msg.get(), "Nats-Msg-Id");
  return last;
}

namespace {
// One try's message: the data, its id, and the fence. The expectation is set
// here rather than through jsPubOptions: nats.c leaves it out when it is 0,
// and "no event yet" must be fenced too.
Msg fenced_message(const std::string& subject, std::string_view data, const std::string& msg_id,
                   const std::string& expected) {
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())) != NATS_OK) {
    return nullptr;
  }
  Msg msg(raw);
  natsMsgHeader_Set(msg.get(), "Nats-Msg-Id", msg_id.c_str());
  natsMsgHeader_Set(msg.get(), "Nats-Expected-Last-Subject-Sequence", expected.c_str());
  return msg;
}
}  // namespace

void EventLog::append_async(std::string_view data, const std::string& msg_id, std::uint64_t expected,
                            std::chrono::steady_clock::time_point deadline,
                            std::function<void(const AppendResult&)> done) const {
  Msg msg = fenced_message(subject_, data, msg_id, std::to_string(expected));
  if (msg == nullptr) {
    AppendResult result;
    result.error = store_error(NATS_NO_MEMORY, static_cast<jsErrCode>(0));
    done(result);
    return;
  }
  store_.publisher().publish(msg.release(), std::max(1, std::min(remaining_ms(deadline), 2000)),
                             [done = std::move(done)](const PublishAck& ack) {
                               AppendResult result;
                               if (ack.stored) {
                                 result.outcome = Appended::kStored;
                                 result.sequence = ack.sequence;  // a duplicate's ack names the stored copy
                               } else {
                                 result.error = ack.error;
                               }
                               done(result);
                             });
}

AppendResult EventLog::append(std::string_view data, const std::string& msg_id, std::uint64_t expected,
                              std::chrono::steady_clock::time_point deadline) const {
  AppendResult result;
  const std::string expected_text = std::to_string(expected);
  for (int attempt = 0;; ++attempt) {
    Msg msg = fenced_message(subject_, data, msg_id, expected_text);
    if (msg == nullptr) {
      result.error = store_error(NATS_NO_MEMORY, static_cast<jsErrCode>(0));
      return result;
    }
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = std::max(1, std::min(remaining_ms(deadline), 2000));
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status = js_PublishMsg(&ack, store_.context(), msg.get(), &options, &code);
    if (status == NATS_OK && ack != nullptr) {
      result.outcome = Appended::kStored;
      result.sequence = ack->Sequence;  // a duplicate's ack names the stored copy
      jsPubAck_Destroy(ack);
      return result;
    }
    if (ack != nullptr) jsPubAck_Destroy(ack);
    if (static_cast<int>(code) == kWrongLastSequence) {
      // Fenced, or our own earlier try landed (then the last event is ours).
      LastEvent now = last();
      if (!now.error && now.sequence != 0 && now.msg_id == msg_id) {
        result.outcome = Appended::kStored;
        result.sequence = now.sequence;
        return result;
      }
      if (!now.error) {
        result.outcome = Appended::kFenced;
        return result;
      }
      result.error = now.error;
    } else {
      result.error = store_error(status, code);
    }
    // A timeout says little; a connection that is down says why.
    result.error.disconnected = natsConnection_Status(store_.connection()) != NATS_CONN_STATUS_CONNECTED;
    // No leader, a timeout, a lost connection: try again (same id) while there
    // is time; the answer stays kUncertain if none comes.
    if (remaining_ms(deadline) <= 0) return result;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 * (attempt + 1), 250)));
  }
}

StoreError EventLog::read(std::uint64_t after, std::uint64_t until, const Visitor& each,
                          std::chrono::steady_clock::time_point deadline) const {
  if (until <= after) return {};
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = store_.events_stream().c_str();
  options.Ordered = true;  // an ephemeral, flow-controlled consumer that restarts itself on gaps
  options.Config.DeliverPolicy = js_DeliverByStartSequence;
  options.Config.OptStartSeq = after + 1;
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_SubscribeSync(&sub, store_.context(), subject_.c_str(), nullptr, &options, &code);
  if (status != NATS_OK) return store_error(status, code);
  StoreError error;
  std::uint64_t at = after;
  while (at < until) {
    const int wait = remaining_ms(deadline);
    natsMsg* raw = nullptr;
    status = wait > 0 ? natsSubscription_NextMsg(&raw, sub, wait) : NATS_TIMEOUT;
    Msg msg(raw);
    if (status != NATS_OK) {
      error = store_error(status, static_cast<jsErrCode>(0));
      error.text = "reading events " + std::to_string(at + 1) + ".." + std::to_string(until) + ": " + error.text;
      break;
    }
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg.get()) != NATS_OK) continue;  // not a stream message
    const std::uint64_t sequence = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    if (sequence <= at) continue;  // the ordered consumer restarted: seen already
    if (sequence > until) break;
    at = sequence;
    const std::string id = header(msg.get(), "Nats-Msg-Id");
    each(sequence, std::string_view(natsMsg_GetData(msg.get()), static_cast<std::size_t>(natsMsg_GetDataLength(msg.get()))),
         id);
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return error;
}

}  // namespace tact::nats::durable
