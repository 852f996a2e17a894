// tact::Runtime: the public face of RuntimeCore.
#include "tact/runtime.hpp"

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

bool Runtime::unregister_name(std::string_view name) { return detail::registry_remove(core_, name); }

RuntimeStats Runtime::stats() const noexcept { return core_->stats(); }
metrics::Snapshot Runtime::metrics() const { return core_->metrics(); }

std::size_t Runtime::worker_count() const noexcept { return core_->scheduler().worker_count(); }

}  // namespace tact
