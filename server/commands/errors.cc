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

std::string InvalidExpire(std::string_view command) {
  const size_t at = kInvalidExpire.find("%s");
  std::string out(kInvalidExpire.substr(0, at));
  out += command;
  out += kInvalidExpire.substr(at + 2);
  return out;
}

std::string UnsupportedOption(std::string_view option) {
  std::string out("ERR Unsupported option ");
  out += option;
  return out;
}

}  // namespace tessera::server::errors
