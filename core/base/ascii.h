// ASCII helpers.  Redis compares command names and options case-insensitively in ASCII
// only; these are inline so the command path pays no libc call per character (std::tolower
// consults the locale).
#pragma once

#include <string>
#include <string_view>

namespace tessera {

inline char AsciiToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
inline char AsciiToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiToLower(a[i]) != AsciiToLower(b[i])) return false;
  }
  return true;
}

// `s` as C's "%s" prints it: up to its first NUL byte.  Redis formats client arguments into
// error replies that way, so an argument echoed in an error is cut there.
inline std::string_view CStringPrefix(std::string_view s) { return s.substr(0, s.find('\0')); }

inline std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiToUpper(c);
  return out;
}

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiToLower(c);
  return out;
}

}  // namespace tessera
