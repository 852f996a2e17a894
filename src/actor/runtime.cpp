// tact::Runtime: the public face of RuntimeCore.
#include "tact/runtime.hpp"

#include <utility>

#include "actor/runtime_core.hpp"
#include "tact/detail/registry.hpp"

namespace tact {

Runtime::Runtime() : Runtime(Config{}) {}

Runtime::Runtime(const Config& config) : core_(new detail::RuntimeCore(config)) {}

Runtime::~Runtime() {
  shutdown();
  core_->drop_ref();
}

void Runtime::shutdown() { core_->shutdown(); }

ShutdownHook Runtime::on_shutdown(std::function<void()> fn) {
  const std::uint64_t id = core_->shutdown_hooks().add(std::move(fn));
  core_->add_ref();  // the handle's: it may outlive the Runtime
  return ShutdownHook(core_, id);
}

void ShutdownHook::reset() noexcept {
  if (core_ == nullptr) return;
  core_->shutdown_hooks().remove(id_);
  std::exchange(core_, nullptr)->drop_ref();
  id_ = 0;
}

bool Runtime::unregister_name(std::string_view name) { return detail::registry_remove(core_, name); }

RuntimeStats Runtime::stats() const noexcept { return core_->stats(); }
metrics::Snapshot Runtime::metrics() const { return core_->metrics(); }

std::size_t Runtime::worker_count() const noexcept { return core_->scheduler().worker_count(); }

}  // namespace tact
