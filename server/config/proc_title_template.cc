#include "server/config/proc_title_template.h"

namespace tessera::server {

namespace {

std::optional<std::string> Variable(std::string_view name, const ServerConfig& c,
                                    std::string_view title, std::string_view config_file) {
  const int port = c.port.load(std::memory_order_relaxed);
  const int tls_port = c.tls_port.load(std::memory_order_relaxed);
  if (name == "title") return std::string(title);
  if (name == "listen-addr") {
    if (port == 0 && tls_port == 0) return "unixsocket:" + c.unixsocket;
    std::vector<std::string> bind = c.bind.Get();
    return (bind.empty() ? std::string("*") : bind[0]) + ":" +
           std::to_string(port != 0 ? port : tls_port);
  }
  if (name == "server-mode") return std::string();  // neither [cluster] nor [sentinel]
  if (name == "config-file") return std::string(config_file.empty() ? "-" : config_file);
  if (name == "port") return std::to_string(port);
  if (name == "tls-port") return std::to_string(tls_port);
  if (name == "unixsocket") return c.unixsocket;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ExpandProcTitleTemplate(std::string_view tmpl, const ServerConfig& c,
                                                   std::string_view title,
                                                   std::string_view config_file) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    const size_t open = tmpl.find('{', pos);
    out.append(tmpl.substr(pos, open - pos));
    if (open == std::string_view::npos) break;
    if (open + 1 == tmpl.size()) return std::nullopt;  // a '{' that ends the template
    if (tmpl[open + 1] == '{') {
      out += '{';
      pos = open + 2;
      continue;
    }
    const size_t close = tmpl.find('}', open + 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::optional<std::string> value =
        Variable(tmpl.substr(open + 1, close - open - 1), c, title, config_file);
    if (!value) return std::nullopt;
    out += *value;
    pos = close + 1;
  }
  const size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return std::string();
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

bool IsValidProcTitleTemplate(std::string_view tmpl, const ServerConfig& c) {
  std::optional<std::string> title = ExpandProcTitleTemplate(tmpl, c, "", "");
  return title.has_value() && !title->empty();
}

}  // namespace tessera::server
