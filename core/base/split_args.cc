#include "core/base/split_args.h"

#include <cctype>
#include <cstdio>

namespace tessera {

namespace {

constexpr size_t kMalformed = std::string_view::npos;

// isspace() in the C locale: skipped between arguments, and required after a closing quote.
bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

// The blanks that end an unquoted argument (sdssplitargs' list; \v and \f are not in it).
// Each is also an IsSpace, so no argument starts on one: every argument consumes a byte.
bool EndsArgument(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

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

// A quoted section ends the argument: its closing quote must be followed by a space or the
// end of the line.  Returns the index past the closing quote, or kMalformed.
size_t AfterClosingQuote(std::string_view s, size_t quote) {
  if (quote + 1 < s.size() && !IsSpace(s[quote + 1])) return kMalformed;
  return quote + 1;
}

// Reads a "double quoted" section whose opening quote is at s[i - 1].  Each step consumes at
// least one byte.  Returns the index past the closing quote, or kMalformed.
size_t ReadDoubleQuoted(std::string_view s, size_t i, std::string* out) {
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && HexValue(s[i + 2]) >= 0 &&
        HexValue(s[i + 3]) >= 0) {
      out->push_back(static_cast<char>(HexValue(s[i + 2]) * 16 + HexValue(s[i + 3])));
      i += 4;
    } else if (c == '\\' && i + 1 < s.size()) {
      out->push_back(UnescapeChar(s[i + 1]));
      i += 2;
    } else if (c == '"') {
      return AfterClosingQuote(s, i);
    } else {
      out->push_back(c);
      ++i;
    }
  }
  return kMalformed;  // unterminated
}

size_t ReadSingleQuoted(std::string_view s, size_t i, std::string* out) {
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\'') {
      out->push_back('\'');
      i += 2;
    } else if (c == '\'') {
      return AfterClosingQuote(s, i);
    } else {
      out->push_back(c);
      ++i;
    }
  }
  return kMalformed;
}

}  // namespace

bool SplitArgs(std::string_view line, ArgBuffer* out) {
  out->clear();
  const std::string_view s = line.substr(0, line.find('\0'));  // a C string ends at NUL
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i == s.size()) return true;
    // An argument is a run of plain bytes, optionally ended by one quoted section.  s[i] is
    // not a space, so this loop consumes at least one byte before the argument is stored.
    while (i < s.size() && !EndsArgument(s[i])) {
      char c = s[i];
      if (c == '"' || c == '\'') {
        i = c == '"' ? ReadDoubleQuoted(s, i + 1, &out->bytes_)
                     : ReadSingleQuoted(s, i + 1, &out->bytes_);
        if (i == kMalformed) return false;
        break;
      }
      size_t run = i + 1;
      while (run < s.size() && !EndsArgument(s[run]) && s[run] != '"' && s[run] != '\'') ++run;
      out->bytes_.append(s.data() + i, run - i);
      i = run;
    }
    out->ends_.push_back(static_cast<uint32_t>(out->bytes_.size()));
  }
}

bool SplitArgs(std::string_view line, std::vector<std::string>* out) {
  ArgBuffer args;
  out->clear();
  if (!SplitArgs(line, &args)) return false;
  out->reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) out->emplace_back(args[i]);
  return true;
}

std::string QuoteArg(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out += c;
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
          out += hex;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace tessera
