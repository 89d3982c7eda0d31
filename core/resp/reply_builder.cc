#include "core/resp/reply_builder.h"

#include <cstring>

#include "core/base/numbers.h"

namespace tessera::resp {

namespace {
void AppendCrlf(std::string* out) { out->append("\r\n", 2); }

void AppendUnsigned(std::string* out, size_t n) {
  char buf[24];
  size_t len = FormatInt64(static_cast<int64_t>(n), buf);
  out->append(buf, len);
}
}  // namespace

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  AppendCrlf(out_);
}

void ReplyBuilder::Error(std::string_view message) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(message);
  for (size_t i = start; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  AppendCrlf(out_);
}

void ReplyBuilder::Integer(int64_t v) {
  char buf[24];
  buf[0] = ':';
  size_t len = FormatInt64(v, buf + 1);
  out_->append(buf, len + 1);
  AppendCrlf(out_);
}

void ReplyBuilder::Bulk(std::string_view s) {
  // One append for a short bulk (the common reply element of LRANGE, MGET, HGETALL...):
  // every std::string append pays a capacity check and a size update.
  char buf[96];
  buf[0] = '$';
  size_t len = 1 + FormatInt64(static_cast<int64_t>(s.size()), buf + 1);
  buf[len++] = '\r';
  buf[len++] = '\n';
  if (s.size() <= sizeof(buf) - len - 2) {
    if (!s.empty()) std::memcpy(buf + len, s.data(), s.size());  // data() may be null when empty
    len += s.size();
    buf[len++] = '\r';
    buf[len++] = '\n';
    out_->append(buf, len);
    return;
  }
  out_->append(buf, len);
  out_->append(s);
  AppendCrlf(out_);
}

void ReplyBuilder::Null() { out_->append(protocol_ == 3 ? "_\r\n" : "$-1\r\n"); }
void ReplyBuilder::NullArray() { out_->append(protocol_ == 3 ? "_\r\n" : "*-1\r\n"); }
void ReplyBuilder::ArrayHeader(size_t n) { Header('*', n); }

void ReplyBuilder::MapHeader(size_t n) {
  if (protocol_ == 3) {
    Header('%', n);
  } else {
    Header('*', n * 2);
  }
}

void ReplyBuilder::SetHeader(size_t n) { Header(protocol_ == 3 ? '~' : '*', n); }
void ReplyBuilder::PushHeader(size_t n) { Header(protocol_ == 3 ? '>' : '*', n); }

void ReplyBuilder::Double(double d) {
  char buf[40];
  size_t len = FormatDouble(d, buf);
  if (protocol_ == 3) {
    out_->push_back(',');
    out_->append(buf, len);
    AppendCrlf(out_);
  } else {
    Bulk(std::string_view(buf, len));
  }
}

void ReplyBuilder::DoubleText(std::string_view text) {
  if (protocol_ == 3) {
    out_->push_back(',');
    out_->append(text);
    AppendCrlf(out_);
  } else {
    Bulk(text);
  }
}

void ReplyBuilder::Bool(bool b) {
  if (protocol_ == 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::Verbatim(std::string_view text, std::string_view format) {
  if (protocol_ != 3) {
    Bulk(text);
    return;
  }
  Header('=', text.size() + 4);
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  AppendCrlf(out_);
}

void ReplyBuilder::BigNumber(std::string_view digits) {
  if (protocol_ != 3) {
    Bulk(digits);
    return;
  }
  out_->push_back('(');
  out_->append(digits);
  AppendCrlf(out_);
}

void ReplyBuilder::EndDeferred(size_t position, char kind, size_t n) {
  std::string header;
  char marker = '*';
  if (kind == 'M') {
    marker = protocol_ == 3 ? '%' : '*';
    if (protocol_ != 3) n *= 2;
  } else if (kind == 'S') {
    marker = protocol_ == 3 ? '~' : '*';
  }
  header.push_back(marker);
  AppendUnsigned(&header, n);
  AppendCrlf(&header);
  out_->insert(position, header);
}

void ReplyBuilder::Header(char marker, size_t n) {
  char buf[32];
  buf[0] = marker;
  size_t len = 1 + FormatInt64(static_cast<int64_t>(n), buf + 1);
  buf[len++] = '\r';
  buf[len++] = '\n';
  out_->append(buf, len);
}

}  // namespace tessera::resp
