// Status codes and OpResult<T>: the inner error layer (STYLE 9).
//
// Core operations return an OpStatus or an OpResult<T>; they never build replies and never
// throw.  The command layer maps each status to the exact Redis error string, which lives once
// in server/commands/errors.h.  A status names what went wrong in terms of data, not wording.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace tessera {

enum class OpStatus : unsigned char {
  kOk,
  kKeyNotFound,     // the key does not exist (or has expired)
  kWrongType,       // the key holds another type
  kNotAnInteger,    // a stored value or argument is not a 64-bit integer
  kNotAFloat,       // a stored value or argument is not a valid float
  kOverflow,        // an increment would leave the int64 range
  kOutOfRange,      // an index or offset outside what the command accepts
  kSizeLimit,       // a value would exceed proto-max-bulk-len
  kSkipped,         // a conditional write (NX, XX, GT, LT) did not apply
  kSyntaxError,
  kInvalidExpire,   // an expiry that overflows or is not positive
  kBusyKey,         // the destination exists and REPLACE was not given
  kSameObject,      // source and destination are the same key where that is an error
  kNotHll,          // a string that is not a HyperLogLog (bad header or dense length)
  kCorruptHll,      // a HyperLogLog whose sparse opcodes are invalid
};

// A value or a non-OK status.  Cheap to move; T must be default-constructible only for the
// status case (the variant holds the status alone).
template <typename T>
class OpResult {
 public:
  OpResult(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose, like std::optional
  OpResult(OpStatus status) : v_(status) { assert(status != OpStatus::kOk); }  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  OpStatus status() const { return ok() ? OpStatus::kOk : std::get<1>(v_); }

  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, OpStatus> v_;
};

}  // namespace tessera
