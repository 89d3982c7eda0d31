#include "persistence/aof_rewrite.h"

#include <cstdio>
#include <vector>

#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"

namespace tessera::persistence {

namespace {

using keyspace::Entry;
using keyspace::ValueType;
using types::StreamID;

void AppendHeader(std::string* out, char kind, size_t n) {
  out->push_back(kind);
  out->append(std::to_string(n));
  out->append("\r\n");
}

void AppendBulk(std::string* out, std::string_view s) {
  AppendHeader(out, '$', s.size());
  out->append(s);
  out->append("\r\n");
}

void AppendBulk(std::string* out, int64_t v) { AppendBulk(out, std::to_string(v)); }
void AppendBulk(std::string* out, StreamID id) { AppendBulk(out, id.ToString()); }

// Scores as Redis writes them ("%.17g": exact, and inf / -inf for the infinities).
std::string ScoreText(double d) {
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

// Writes `items` (already grouped in elements of `per_item` strings) as commands
// `<name> <key> items...` holding at most kItemsPerCommand elements each.
class Batcher {
 public:
  Batcher(std::string* out, std::string_view name, std::string_view key, size_t total,
          size_t per_item)
      : out_(out), name_(name), key_(key), left_(total), per_item_(per_item) {}

  // Starts a command when the previous one is full; call before each element's strings.
  void BeginItem() {
    if (in_cmd_ == 0) {
      const size_t n = std::min(left_, kItemsPerCommand);
      AppendHeader(out_, '*', 2 + n * per_item_);
      AppendBulk(out_, name_);
      AppendBulk(out_, key_);
      in_cmd_ = n;
    }
    --in_cmd_;
    --left_;
  }

 private:
  std::string* out_;
  std::string_view name_, key_;
  size_t left_, per_item_;
  size_t in_cmd_ = 0;
};

void AppendList(std::string* out, std::string_view key, const types::ListValue& l) {
  Batcher b(out, "RPUSH", key, l.Length(), 1);
  char buf[32];
  for (auto c = l.At(0); c.Valid(); c.Next()) {
    b.BeginItem();
    AppendBulk(out, c.Get(buf));
  }
}

void AppendSet(std::string* out, std::string_view key, const types::SetValue& s) {
  Batcher b(out, "SADD", key, s.size(), 1);
  char buf[24];
  s.ForEach([&](const types::SetMember& m) {
    b.BeginItem();
    AppendBulk(out, m.View(buf));
  });
}

void AppendZSet(std::string* out, std::string_view key, const types::ZSetValue& z) {
  Batcher b(out, "ZADD", key, z.size(), 2);
  for (auto it = z.IterateFrom(0, false); it.valid(); it.Next()) {
    b.BeginItem();
    AppendBulk(out, ScoreText(it.score()));
    AppendBulk(out, it.member());
  }
}

void AppendHash(std::string* out, std::string_view key, const types::HashValue& h) {
  Batcher b(out, "HMSET", key, h.size(), 2);
  h.ForEach([&](std::string_view f, std::string_view v) {
    b.BeginItem();
    AppendBulk(out, f);
    AppendBulk(out, v);
  });
  if (h.MinExpiry() == types::kNoFieldExpiry) return;
  h.ForEach([&](std::string_view f, std::string_view) {
    const int64_t at = h.FindExpiry(f).value_or(types::kNoFieldExpiry);
    if (at == types::kNoFieldExpiry) return;
    AppendHeader(out, '*', 6);
    AppendBulk(out, "HPEXPIREAT");
    AppendBulk(out, key);
    AppendBulk(out, at);
    AppendBulk(out, "FIELDS");
    AppendBulk(out, "1");
    AppendBulk(out, f);
  });
}

void AppendStreamGroups(std::string* out, std::string_view key, const types::StreamValue& s) {
  if (s.groups() == nullptr) return;
  for (const auto& [name, g] : *s.groups()) {
    AppendHeader(out, '*', 7);
    AppendBulk(out, "XGROUP");
    AppendBulk(out, "CREATE");
    AppendBulk(out, key);
    AppendBulk(out, name);
    AppendBulk(out, g->last_id);
    AppendBulk(out, "ENTRIESREAD");
    AppendBulk(out, g->entries_read);
    for (const auto& [cname, c] : g->consumers) {
      if (c->pel.empty()) {
        AppendHeader(out, '*', 5);
        AppendBulk(out, "XGROUP");
        AppendBulk(out, "CREATECONSUMER");
        AppendBulk(out, key);
        AppendBulk(out, name);
        AppendBulk(out, cname);
        continue;
      }
      for (const auto& [id, nack] : c->pel) {
        AppendHeader(out, '*', 12);
        AppendBulk(out, "XCLAIM");
        AppendBulk(out, key);
        AppendBulk(out, name);
        AppendBulk(out, cname);
        AppendBulk(out, "0");
        AppendBulk(out, id);
        AppendBulk(out, "TIME");
        AppendBulk(out, nack->delivery_time);
        AppendBulk(out, "RETRYCOUNT");
        AppendBulk(out, static_cast<int64_t>(nack->delivery_count));
        AppendBulk(out, "JUSTID");
        AppendBulk(out, "FORCE");
      }
    }
  }
}

void AppendStream(std::string* out, std::string_view key, const types::StreamValue& s) {
  if (s.length() > 0) {
    types::StreamValue::Iterator it(s, StreamID::Min(), StreamID::Max(), false);
    while (it.Next()) {
      const size_t fields = it.num_fields();
      AppendHeader(out, '*', 3 + 2 * fields);
      AppendBulk(out, "XADD");
      AppendBulk(out, key);
      AppendBulk(out, it.id());
      for (size_t i = 0; i < fields; ++i) {
        std::string_view f, v;
        it.NextField(&f, &v);
        AppendBulk(out, f);
        AppendBulk(out, v);
      }
    }
  } else {
    // An empty stream: an entry trimmed away at once creates the key; XSETID sets its IDs.
    AppendHeader(out, '*', 7);
    for (std::string_view a :
         {std::string_view("XADD"), key, std::string_view("MAXLEN"), std::string_view("0"),
          std::string_view("0-1"), std::string_view("x"), std::string_view("y")}) {
      AppendBulk(out, a);
    }
  }
  AppendHeader(out, '*', 7);
  AppendBulk(out, "XSETID");
  AppendBulk(out, key);
  AppendBulk(out, s.last_id());
  AppendBulk(out, "ENTRIESADDED");
  AppendBulk(out, static_cast<int64_t>(s.entries_added()));
  AppendBulk(out, "MAXDELETEDID");
  AppendBulk(out, s.max_deleted_id());
  AppendStreamGroups(out, key, s);
}

}  // namespace

void AppendKeyAsCommands(std::string* out, const Entry& e) {
  const std::string_view key = e.key();
  switch (e.type()) {
    case ValueType::kString:
      AppendHeader(out, '*', 3);
      AppendBulk(out, "SET");
      AppendBulk(out, key);
      if (e.is_int()) {
        AppendBulk(out, e.int_value());
      } else {
        AppendBulk(out, e.raw_value());
      }
      break;
    case ValueType::kList:
      AppendList(out, key, *e.object_as<types::ListValue>());
      break;
    case ValueType::kSet:
      AppendSet(out, key, *e.object_as<types::SetValue>());
      break;
    case ValueType::kZSet:
      AppendZSet(out, key, *e.object_as<types::ZSetValue>());
      break;
    case ValueType::kHash:
      AppendHash(out, key, *e.object_as<types::HashValue>());
      break;
    case ValueType::kStream:
      AppendStream(out, key, *e.object_as<types::StreamValue>());
      break;
  }
  if (e.has_expiry()) {
    AppendHeader(out, '*', 3);
    AppendBulk(out, "PEXPIREAT");
    AppendBulk(out, key);
    AppendBulk(out, e.expire_at());
  }
}

void AppendSelectCommand(std::string* out, int db) {
  AppendHeader(out, '*', 2);
  AppendBulk(out, "SELECT");
  AppendBulk(out, db);
}

void AppendFunctionLoadCommand(std::string* out, std::string_view library_code) {
  AppendHeader(out, '*', 3);
  AppendBulk(out, "FUNCTION");
  AppendBulk(out, "LOAD");
  AppendBulk(out, library_code);
}

}  // namespace tessera::persistence
