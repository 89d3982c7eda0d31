#include "core/base/split_args.h"

namespace tessera {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char UnescapeChar(char c) {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
  }
}

// Reads a "double quoted" token starting after the opening quote.  Returns the index just
// past the closing quote, or npos if malformed.
size_t ReadDoubleQuoted(std::string_view s, size_t i, std::string* token) {
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && HexValue(s[i + 2]) >= 0 &&
        HexValue(s[i + 3]) >= 0) {
      token->push_back(static_cast<char>(HexValue(s[i + 2]) * 16 + HexValue(s[i + 3])));
      i += 4;
    } else if (c == '\\' && i + 1 < s.size()) {
      token->push_back(UnescapeChar(s[i + 1]));
      i += 2;
    } else if (c == '"') {
      // The closing quote must be followed by a space or nothing at all.
      if (i + 1 < s.size() && !IsSpace(s[i + 1])) return std::string_view::npos;
      return i + 1;
    } else {
      token->push_back(c);
      ++i;
    }
  }
  return std::string_view::npos;  // unterminated
}

size_t ReadSingleQuoted(std::string_view s, size_t i, std::string* token) {
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\'') {
      token->push_back('\'');
      i += 2;
    } else if (c == '\'') {
      if (i + 1 < s.size() && !IsSpace(s[i + 1])) return std::string_view::npos;
      return i + 1;
    } else {
      token->push_back(c);
      ++i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool SplitArgs(std::string_view s, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i >= s.size()) return true;
    std::string token;
    // A token is a run of plain characters and quoted sections; a quoted section ends it.
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        i = ReadDoubleQuoted(s, i + 1, &token);
        if (i == std::string_view::npos) return false;
        break;
      }
      if (c == '\'') {
        i = ReadSingleQuoted(s, i + 1, &token);
        if (i == std::string_view::npos) return false;
        break;
      }
      if (IsBlank(c)) break;
      token.push_back(c);
      ++i;
    }
    out->push_back(std::move(token));
  }
}

}  // namespace tessera
