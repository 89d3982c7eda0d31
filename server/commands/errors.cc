#include "server/commands/errors.h"

namespace tessera::server::errors {

std::string_view ForStatus(OpStatus status) {
  switch (status) {
    case OpStatus::kWrongType: return kWrongType;
    case OpStatus::kNotAnInteger: return kNotInteger;
    case OpStatus::kNotAFloat: return kNotFloat;
    case OpStatus::kOverflow: return kOverflow;
    case OpStatus::kOutOfRange: return kIndexOutOfRange;
    case OpStatus::kSizeLimit: return kStringTooBig;
    case OpStatus::kSyntaxError: return kSyntax;
    case OpStatus::kKeyNotFound: return kNoSuchKey;
    case OpStatus::kBusyKey: return kBusyKey;
    case OpStatus::kSameObject: return kSameObject;
    default: return "ERR internal error";
  }
}

}  // namespace tessera::server::errors
