#include "server/oom_score.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "server/log.h"

namespace tessera::server {

bool OomScoreAdjuster::Apply(int mode, int value, std::string* err) {
  int score;
  if (mode != 0) {
    if (!adjusted_) {
      // The score before our first change: what relative values add to and what `no` restores.
      char buf[64] = {};
      int fd = open(path_.c_str(), O_RDONLY);
      if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0) {
        Log(LogLevel::kWarning, "Unable to read oom_score_adj: {}", std::strerror(errno));
        if (fd >= 0) close(fd);
        *err = "Failed to set current oom_score_adj. Check server logs.";
        return false;
      }
      close(fd);
      base_ = std::atoi(buf);
      adjusted_ = true;
    }
    score = mode == 1 ? value + base_ : value;
    score = std::clamp(score, -1000, 1000);
  } else if (adjusted_) {
    adjusted_ = false;
    score = base_;
  } else {
    return true;
  }
  std::string text = std::to_string(score) + "\n";
  int fd = open(path_.c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0 || write(fd, text.data(), text.size()) < 0) {
    Log(LogLevel::kWarning, "Unable to write oom_score_adj: {}", std::strerror(errno));
    if (fd >= 0) close(fd);
    *err = "Failed to set current oom_score_adj. Check server logs.";
    return false;
  }
  close(fd);
  return true;
}

}  // namespace tessera::server
