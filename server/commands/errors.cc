#include "server/commands/errors.h"

#include "core/base/ascii.h"

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

std::string WithArg(std::string_view text, std::string_view arg) {
  const size_t at = text.find("%s");
  if (at == std::string_view::npos) return std::string(text);
  std::string out(text.substr(0, at));
  out += arg;
  out += text.substr(at + 2);
  return out;
}

std::string UnsupportedOption(std::string_view option) {
  // Redis formats it with "%s" (up to a NUL) and trims CR and LF off the end of the message.
  option = CStringPrefix(option);
  while (!option.empty() && (option.back() == '\r' || option.back() == '\n')) {
    option.remove_suffix(1);
  }
  std::string out("ERR Unsupported option ");
  out += option;
  return out;
}

}  // namespace tessera::server::errors
