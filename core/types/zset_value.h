// ZSetValue: placeholder for the zset type, replaced when the zset family lands.  It holds nothing
// and no command creates one; it exists so that object.h's switch compiles.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera::types {

class ZSetValue {
 public:
  ZSetValue* Clone() const { return new ZSetValue(*this); }
  std::string_view EncodingName() const { return "unknown"; }
  size_t AllocationSize() const { return sizeof(*this); }
};

}  // namespace tessera::types
