// Splits a line into arguments the way Redis's sdssplitargs() does: used for inline commands
// and for redis.conf lines, which share the syntax.
//
// Blanks separate arguments.  "double quotes" support \xHH, \n \r \t \b \a and \<any> escapes;
// 'single quotes' support \' only.  A closing quote must be followed by a blank or the end of
// the line, otherwise the line is malformed (Redis: "unbalanced quotes").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// Returns false (and leaves *out in an unspecified state) iff the quoting is malformed.
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace tessera
