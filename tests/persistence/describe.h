// A canonical JSON description of an entry (type, OBJECT ENCODING, expiry, contents), for
// comparing values across a write/read round trip and, in tests/tools/rdb_tool, against what
// redis-server reports.  Bytes are written as \u00XX escapes above 0x7E (read them back as
// latin-1).  Sets and hash fields are sorted; lists, sorted sets and streams keep their order.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/keyspace/entry.h"
#include "core/keyspace/object.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"

namespace tessera::testing {

inline void JsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20 || c > 0x7E) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

inline std::string ScoreText(double d) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

inline void JsonList(std::string* out, const std::vector<std::string>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    JsonString(out, v[i]);
  }
  out->push_back(']');
}

inline void DescribeStream(std::string* out, const types::StreamValue& s) {
  out->append("{\"entries\":[");
  types::StreamValue::Iterator it(s, types::StreamID::Min(), types::StreamID::Max(), false);
  bool first = true;
  while (it.Next()) {
    if (!first) out->push_back(',');
    first = false;
    std::vector<std::string> fv;
    for (size_t i = 0; i < it.num_fields(); ++i) {
      std::string_view f, v;
      it.NextField(&f, &v);
      fv.emplace_back(f);
      fv.emplace_back(v);
    }
    out->append("[\"" + it.id().ToString() + "\",");
    JsonList(out, fv);
    out->push_back(']');
  }
  out->append("],\"length\":" + std::to_string(s.length()) + ",\"last_id\":\"" +
              s.last_id().ToString() + "\",\"entries_added\":" + std::to_string(s.entries_added()) +
              ",\"max_deleted_id\":\"" + s.max_deleted_id().ToString() + "\",\"groups\":[");
  if (s.groups() != nullptr) {
    bool g_first = true;
    for (const auto& [name, g] : *s.groups()) {
      if (!g_first) out->push_back(',');
      g_first = false;
      out->append("{\"name\":");
      JsonString(out, name);
      out->append(",\"last_id\":\"" + g->last_id.ToString() +
                  "\",\"entries_read\":" + std::to_string(g->entries_read) + ",\"pel\":[");
      bool p_first = true;
      for (const auto& [id, nack] : g->pel) {
        if (!p_first) out->push_back(',');
        p_first = false;
        out->append("[\"" + id.ToString() + "\",");
        JsonString(out, nack->consumer->name);
        out->append("," + std::to_string(nack->delivery_count) + "]");
      }
      out->append("],\"consumers\":[");
      bool c_first = true;
      for (const auto& [cname, c] : g->consumers) {
        if (!c_first) out->push_back(',');
        c_first = false;
        out->push_back('[');
        JsonString(out, cname);
        out->append("," + std::to_string(c->pel.size()) + "]");
      }
      out->append("]}");
    }
  }
  out->append("]}");
}

inline std::string DescribeValue(const keyspace::Entry& e) {
  std::string out;
  switch (e.type()) {
    case keyspace::ValueType::kString: {
      char buf[24];
      JsonString(&out, e.StringValue(buf));
      break;
    }
    case keyspace::ValueType::kList: {
      const auto* l = e.object_as<types::ListValue>();
      std::vector<std::string> v;
      char buf[24];
      for (auto c = l->At(0); c.Valid(); c.Next()) v.emplace_back(c.Get(buf));
      JsonList(&out, v);
      break;
    }
    case keyspace::ValueType::kSet: {
      std::vector<std::string> v;
      e.object_as<types::SetValue>()->ForEach(
          [&](const types::SetMember& m) { v.push_back(m.ToString()); });
      std::sort(v.begin(), v.end());
      JsonList(&out, v);
      break;
    }
    case keyspace::ValueType::kZSet: {
      std::vector<std::string> v;
      const auto* z = e.object_as<types::ZSetValue>();
      for (auto it = z->IterateFrom(0, false); it.valid(); it.Next()) {
        v.emplace_back(it.member());
        v.push_back(ScoreText(it.score()));
      }
      JsonList(&out, v);
      break;
    }
    case keyspace::ValueType::kHash: {
      const auto* h = e.object_as<types::HashValue>();
      std::vector<std::pair<std::string, std::string>> v;
      h->ForEach([&](std::string_view f, std::string_view val) { v.emplace_back(f, val); });
      std::sort(v.begin(), v.end());
      out.push_back('{');
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out.push_back(',');
        JsonString(&out, v[i].first);
        out.push_back(':');
        const int64_t ttl = h->FindExpiry(v[i].first).value_or(types::kNoFieldExpiry);
        if (ttl == types::kNoFieldExpiry) {
          JsonString(&out, v[i].second);
        } else {
          out.push_back('[');
          JsonString(&out, v[i].second);
          out.append("," + std::to_string(ttl) + "]");
        }
      }
      out.push_back('}');
      break;
    }
    case keyspace::ValueType::kStream:
      DescribeStream(&out, *e.object_as<types::StreamValue>());
      break;
  }
  return out;
}

inline const char* TypeName(keyspace::ValueType t) {
  static const char* kNames[] = {"string", "list", "set", "zset", "hash", "stream"};
  return kNames[static_cast<int>(t)];
}

// {"db":0,"key":"k","type":"hash","encoding":"listpack","expire":-1,"value":...}
inline std::string Describe(int db, const keyspace::Entry& e) {
  std::string out = "{\"db\":" + std::to_string(db) + ",\"key\":";
  JsonString(&out, e.key());
  out.append(",\"type\":\"" + std::string(TypeName(e.type())) + "\",\"encoding\":\"" +
             std::string(keyspace::EncodingName(e)) + "\",\"expire\":" +
             std::to_string(e.expire_at_or_none()) + ",\"value\":" + DescribeValue(e) + "}");
  return out;
}

}  // namespace tessera::testing
