// Expected RESP replies shared by the command tests.
#pragma once

#include <string>
#include <string_view>

namespace tessera::server::test_replies {

inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";
inline const std::string kNull3 = "_\r\n";
inline const std::string kEmpty = "$0\r\n\r\n";
inline const std::string kZero = ":0\r\n";
inline const std::string kOne = ":1\r\n";
inline const std::string kSyntax = "-ERR syntax error\r\n";
inline const std::string kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
inline const std::string kNotInt = "-ERR value is not an integer or out of range\r\n";
inline const std::string kNotFloat = "-ERR value is not a valid float\r\n";
inline const std::string kTooBig =
    "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";

inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

}  // namespace tessera::server::test_replies
