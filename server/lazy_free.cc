#include "server/lazy_free.h"

#include <pthread.h>

#include <utility>

#include "server/config/config.h"
#include "server/memory_meter.h"
#include "server/process_settings.h"

namespace tessera::server {

void LazyFreer::FreeLater(keyspace::Entry* e) {
  Job job;
  job.entry = e;
  job.objects = 1;
  Push(std::move(job));
}

void LazyFreer::FreeTablesLater(std::vector<keyspace::DbTable> tables, size_t keys) {
  Job job;
  job.tables = std::move(tables);
  job.objects = keys;
  Push(std::move(job));
}

void LazyFreer::FreeLater(std::function<void()> release, size_t objects) {
  Job job;
  job.release = std::move(release);
  job.objects = objects;
  Push(std::move(job));
}

void LazyFreer::Push(Job job) {
  {
    std::unique_lock lock(mu_);
    if (!stop_) {
      // Counted before the reply goes out, so INFO right after UNLINK shows it pending.
      pending_.fetch_add(job.objects, std::memory_order_relaxed);
      queue_.push_back(std::move(job));
      ++queued_;
      if (!thread_.joinable()) {
        thread_ = std::thread([this] { ThreadMain(); });
        PinThread(thread_.native_handle(), cpulist_);
      }
      lock.unlock();
      work_cv_.notify_one();
      return;
    }
  }
  // Stopped (shutting down): free here.
  Run(job);
  freed_.fetch_add(job.objects, std::memory_order_relaxed);
}

void LazyFreer::Run(Job& job) {
  if (job.entry != nullptr) keyspace::Entry::Free(std::exchange(job.entry, nullptr));
  job.tables.clear();  // each DbTable frees its entries
  if (job.release) std::exchange(job.release, nullptr)();
}

void LazyFreer::ThreadMain() {
  pthread_setname_np(pthread_self(), "lazy_free");
  if (meter_ != nullptr) meter_->RegisterThisThread();
  std::deque<Job> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || (!paused_ && !queue_.empty()); });
    if (queue_.empty()) break;  // stop_ and nothing left
    batch.swap(queue_);
    lock.unlock();
    for (Job& job : batch) {
      Run(job);
      pending_.fetch_sub(job.objects, std::memory_order_relaxed);
      freed_.fetch_add(job.objects, std::memory_order_relaxed);
    }
    const uint64_t n = batch.size();
    batch.clear();
    lock.lock();
    done_ += n;
    done_cv_.notify_all();
  }
  lock.unlock();
  if (meter_ != nullptr) meter_->UnregisterThisThread();
}

void LazyFreer::Drain() {
  std::unique_lock lock(mu_);
  const uint64_t target = queued_;
  // The thread runs every queued job before it exits, so this also ends after Stop().
  done_cv_.wait(lock, [&] { return done_ >= target; });
}

void LazyFreer::SetPausedForTesting(bool paused) {
  {
    std::lock_guard lock(mu_);
    paused_ = paused;
  }
  work_cv_.notify_one();
}

void LazyFreer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ApplyLazyFree(const ServerConfig& config, LazyFreer& freer, keyspace::DbAccess& db) {
  db.set_lazy_free(&freer, config.lazyfree_lazy_expire.load(std::memory_order_relaxed),
                   config.lazyfree_lazy_server_del.load(std::memory_order_relaxed));
}

}  // namespace tessera::server
