// Status and StatusOr<T> for persistence: a failure with a message for the log.
//
// core's OpStatus names data conditions for replies and carries no text; loading a file needs
// the reason ("Wrong RDB checksum ...") for Redis's log lines, so this layer has its own small
// type.  Codes let callers choose a reply without parsing messages (RESTORE's two errors).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tessera::persistence {

class Status {
 public:
  enum class Code : unsigned char {
    kOk,
    kCorrupt,      // the bytes are not a valid value or file
    kBadFooter,    // a DUMP payload's version or checksum is wrong
    kEmptyKey,     // a valid encoding of an empty aggregate: skipped on load, refused by RESTORE
    kUnsupported,  // valid but not loadable here (module types, old function libraries)
    kIo,           // the source ended early or failed
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(Code code, std::string message) {
    Status s;
    s.code_ = code;
    s.message_ = std::move(message);
    return s;
  }
  static Status Corrupt(std::string message) { return Error(Code::kCorrupt, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or a failed Status.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}         // NOLINT: implicit, like std::optional
  StatusOr(Status status) : v_(std::move(status)) {}  // NOLINT; REQUIRES: !status.ok()

  bool ok() const { return v_.index() == 0; }
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tessera::persistence
