// Where the running server keeps its AofWriter (server/aof.h's writer_).
//
// The owner (Aof, on whichever thread turns the AOF on or off) uses it like a unique_ptr.
// Workers also reach the writer, before every batch of replies (Connection::Flush calls
// Aof::BeforeReply), without a lock: they read `live()`, an atomic pointer.  So that such a
// worker never uses a freed writer, replacing or resetting the slot closes the old writer
// (AofWriter::Close: drained, fsynced, files closed, every later call a no-op) but keeps the
// object until the slot itself is destroyed (at shutdown, after the workers stopped).  One
// closed writer per CONFIG SET appendonly no (or rewrite with the AOF off) stays allocated:
// a few hundred bytes, its buffers freed.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "persistence/aof.h"

namespace tessera::server {

class AofWriterSlot {
 public:
  AofWriterSlot() = default;
  AofWriterSlot(const AofWriterSlot&) = delete;
  AofWriterSlot& operator=(const AofWriterSlot&) = delete;

  AofWriterSlot& operator=(std::unique_ptr<persistence::AofWriter> w) {
    Retire();
    live_.store(w.get(), std::memory_order_release);
    current_ = std::move(w);
    return *this;
  }
  void reset() { Retire(); }

  persistence::AofWriter* get() const { return current_.get(); }
  persistence::AofWriter* operator->() const { return current_.get(); }
  explicit operator bool() const { return current_ != nullptr; }
  bool operator==(std::nullptr_t) const { return current_ == nullptr; }

  // Any thread: the current writer or null.  A writer read here may be closed meanwhile; its
  // calls then return at once, and it stays allocated.
  persistence::AofWriter* live() const { return live_.load(std::memory_order_acquire); }

 private:
  void Retire() {
    if (!current_) return;
    live_.store(nullptr, std::memory_order_release);
    current_->Close();
    retired_.push_back(std::move(current_));
  }

  std::unique_ptr<persistence::AofWriter> current_;
  std::atomic<persistence::AofWriter*> live_{nullptr};
  std::vector<std::unique_ptr<persistence::AofWriter>> retired_;
};

}  // namespace tessera::server
