// proc-title-template: the text of the process title (server/proc_title.h shows it in `ps`).
//
// The syntax is Redis 7.2's: `{name}` is replaced by the variable's value, `{{` is a literal
// '{', a '}' outside a variable is literal.  An unknown variable, or a '{' with no closing
// '}', makes the whole template invalid.  The result is trimmed of spaces at both ends, so
// "{title} {listen-addr} {server-mode}" leaves no trailing space when there is no mode.
//
// Variables: title (the executable as started, argv[0]), listen-addr (first bind address or
// "*", ':', the port, or the TLS port when there is no plain port; "unixsocket:<path>" when
// neither exists), server-mode ("" here: no cluster or sentinel mode), port, tls-port,
// unixsocket and config-file (its absolute path, "-" when none).
//
// A template is valid iff it expands, with an empty title, to something not empty, judged
// against the configuration as it is when the template is set (as Redis checks it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/config/config.h"

namespace tessera::server {

// The title `tmpl` gives, or nullopt when it is malformed or names an unknown variable.
std::optional<std::string> ExpandProcTitleTemplate(std::string_view tmpl, const ServerConfig& c,
                                                   std::string_view title,
                                                   std::string_view config_file);

// True iff `tmpl` may be the proc-title-template under `c`.
bool IsValidProcTitleTemplate(std::string_view tmpl, const ServerConfig& c);

}  // namespace tessera::server
