#include "server/commands/script_signals.h"

namespace tessera::server {

HeldSignals::HeldSignals(bool active) {
  if (!active) return;
  previous_ = active_;
  active_ = this;
  installed_ = true;
}

HeldSignals::~HeldSignals() {
  if (installed_) active_ = previous_;
}

void HeldSignals::Release() {
  if (installed_) {
    active_ = previous_;
    installed_ = false;
  }
  std::vector<std::function<void()>> signals = std::move(held_);
  held_.clear();
  for (auto& signal : signals) signal();
}

}  // namespace tessera::server
