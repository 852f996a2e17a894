#include "durable/jetstream.hpp"

#include <string_view>

#include "tact/errors.hpp"

namespace tact::nats::durable {

namespace {

[[noreturn]] void fail(std::string_view what, natsStatus status, jsErrCode code = static_cast<jsErrCode>(0)) {
  throw tact::Error("tact::nats durable: " + std::string(what) + " failed: " + describe(store_error(status, code)));
}

std::int64_t nanoseconds(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
}

// Opens the bucket, creating it if absent. R`replicas`, file storage,
// history 1; `ttl` 0: entries never expire.
kvStore* open_bucket(jsCtx* js, const std::string& name, int replicas, std::chrono::milliseconds ttl) {
  kvStore* kv = nullptr;
  if (js_KeyValue(&kv, js, name.c_str()) == NATS_OK) return kv;
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = name.c_str();
  config.Replicas = replicas;
  config.History = 1;
  config.StorageType = js_FileStorage;
  config.TTL = nanoseconds(ttl);
  natsStatus status = js_CreateKeyValue(&kv, js, &config);
  // Another node created it meanwhile: open theirs.
  if (status != NATS_OK && js_KeyValue(&kv, js, name.c_str()) == NATS_OK) return kv;
  if (status != NATS_OK) fail("creating the KV bucket " + name, status);
  return kv;
}

}  // namespace

JetStream::JetStream(StoreConfig config) : config_(std::move(config)) {
  events_stream_ = "TACT_" + config_.cluster + "_EVENTS";
  events_prefix_ = "tact." + config_.cluster + ".durable.events.";
  if (config_.servers.empty()) throw tact::Error("tact::nats durable: no servers given");
  natsOptions* options = nullptr;
  if (natsOptions_Create(&options) != NATS_OK) throw tact::Error("tact::nats durable: out of memory");
  std::vector<const char*> urls;
  for (const std::string& s : config_.servers) urls.push_back(s.c_str());
  natsOptions_SetServers(options, urls.data(), static_cast<int>(urls.size()));
  natsOptions_SetNoRandomize(options, !config_.randomize_servers);
  natsOptions_SetName(options, ("tact-durable-" + config_.cluster).c_str());
  natsOptions_SetMaxReconnect(options, -1);
  natsOptions_SetReconnectWait(options, 100);
  natsOptions_SetTimeout(options, 2000);
  natsOptions_SetPingInterval(options, 1000);
  natsOptions_SetMaxPingsOut(options, 2);
  // Publishes leave at once, from the publishing thread: otherwise nats.c's
  // flusher thread sends them after waiting 1 ms for more (conn.c, _flusher),
  // which an append sent without waiting for its ack (async_publisher.hpp)
  // would pay in full. Requests (js_Publish, KV calls) flush at once anyway.
  natsOptions_SetSendAsap(options, true);
  natsStatus status = natsConnection_Connect(&connection_, options);
  natsOptions_Destroy(options);
  if (status != NATS_OK) fail("connecting", status);

  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = config_.request_timeout.count();
  status = natsConnection_JetStream(&js_, connection_, &js_options);
  if (status != NATS_OK) {
    natsConnection_Destroy(connection_);
    fail("opening JetStream", status);
  }
  try {
    jsStreamConfig stream;
    jsStreamConfig_Init(&stream);
    stream.Name = events_stream_.c_str();
    const std::string wildcard = events_prefix_ + ">";
    const char* subjects[] = {wildcard.c_str()};
    stream.Subjects = subjects;
    stream.SubjectsLen = 1;
    stream.Replicas = config_.replicas;
    stream.Storage = js_FileStorage;
    stream.Duplicates = nanoseconds(config_.dedup_window);
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    status = js_GetStreamInfo(&info, js_, events_stream_.c_str(), nullptr, &code);
    if (status == NATS_NOT_FOUND) status = js_AddStream(&info, js_, &stream, nullptr, &code);
    // JSStreamNameExistErr (10058): another node created it meanwhile.
    if (status != NATS_OK && code != 10058) fail("creating the stream " + events_stream_, status, code);
    if (info != nullptr) jsStreamInfo_Destroy(info);
    leases_ = open_bucket(js_, "TACT_" + config_.cluster + "_LEASES", config_.replicas, config_.lease);
    snapshots_ = open_bucket(js_, "TACT_" + config_.cluster + "_SNAPSHOTS", config_.replicas,
                             std::chrono::milliseconds(0));
    publisher_ = std::make_unique<AsyncPublisher>(connection_);
  } catch (...) {
    if (snapshots_ != nullptr) kvStore_Destroy(snapshots_);
    if (leases_ != nullptr) kvStore_Destroy(leases_);
    jsCtx_Destroy(js_);
    natsConnection_Destroy(connection_);
    throw;
  }
}

JetStream::~JetStream() {
  publisher_.reset();  // its pending appends end first
  kvStore_Destroy(snapshots_);
  kvStore_Destroy(leases_);
  jsCtx_Destroy(js_);
  natsConnection_Close(connection_);
  natsConnection_Destroy(connection_);
}

std::string JetStream::key_of(const std::string& name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(name.size() * 2);
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    key += kHex[c >> 4];
    key += kHex[c & 15];
  }
  return key.empty() ? std::string("_") : key;
}

std::string JetStream::events_subject(const std::string& name) const {
  return events_prefix_ + key_of(name);
}

}  // namespace tact::nats::durable
