// oom-score-adj: how strongly the kernel's OOM killer should prefer this process (Redis 7.2).
//
// With oom-score-adj yes/relative the value of the process's class (oom-score-adj-values:
// primary, replica, background child) is added to the score the process had before the
// server first changed it; with absolute it replaces it; with no the original score is put
// back (if the server had changed it).  Values are clamped to the kernel's -1000..1000.
// The primary's or the replica's value applies, as the server's role is (Server::ApplyOomScore,
// again on REPLICAOF); there are no child processes (snapshots are threads), so the third
// value is never used.
//
// Threads: Apply runs from the config registry's apply hooks (serialized by its mutex) and at
// start-up; the file is a parameter so tests can use a temporary one.
#pragma once

#include <string>

namespace tessera::server {

class OomScoreAdjuster {
 public:
  explicit OomScoreAdjuster(std::string path = "/proc/self/oom_score_adj")
      : path_(std::move(path)) {}

  // mode: 0 no, 1 relative, 2 absolute.  Returns false, with *err set to Redis's reply text,
  // if the file could not be read or written (an unprivileged process lowering its score).
  bool Apply(int mode, int value, std::string* err);

 private:
  std::string path_;
  bool adjusted_ = false;  // the score is ours: `base_` is what to restore
  int base_ = 0;
};

}  // namespace tessera::server
