// What a script's commands tell other clients (keyspace events, WATCH touches, client-tracking
// invalidations), held back while the script runs on part of the shards and may still be
// rolled back (script_locks.h): released in order when it commits, dropped if it restarts,
// so an undone attempt leaves no trace outside the keyspace.
//
// Thread rule: a holder is installed for its own thread only (the thread running the
// script); the dispatcher's signalling paths ask Active() and hold the call instead of making
// it.  Held calls may capture the running script's lua client: Release() must run while that
// client is alive (RunScript releases before its host goes).
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace tessera::server {

class HeldSignals {
 public:
  // Installs this holder on the calling thread iff `active`.  Nests: the previous one comes
  // back on destruction.
  explicit HeldSignals(bool active);
  ~HeldSignals();  // drops whatever was neither released nor discarded
  HeldSignals(const HeldSignals&) = delete;
  HeldSignals& operator=(const HeldSignals&) = delete;

  // The holder installed on this thread, or null.
  static HeldSignals* Active() { return active_; }

  void Hold(std::function<void()> signal) { held_.push_back(std::move(signal)); }
  // Uninstalls the holder, then makes the held calls in the order they were held.
  void Release();
  void Discard() { held_.clear(); }
  size_t size() const { return held_.size(); }

 private:
  inline static thread_local HeldSignals* active_ = nullptr;
  HeldSignals* previous_ = nullptr;
  bool installed_ = false;
  std::vector<std::function<void()>> held_;
};

// Makes `signal` now, or holds it when a holder is active on this thread.
template <class F>
void SignalOrHold(F&& signal) {
  if (HeldSignals* held = HeldSignals::Active()) {
    held->Hold(std::forward<F>(signal));
  } else {
    signal();
  }
}

}  // namespace tessera::server
