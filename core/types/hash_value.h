// HashValue: placeholder for the hash type, replaced when the hash family lands.  It holds nothing
// and no command creates one; it exists so that object.h's switch compiles.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera::types {

class HashValue {
 public:
  HashValue* Clone() const { return new HashValue(*this); }
  std::string_view EncodingName() const { return "unknown"; }
  size_t AllocationSize() const { return sizeof(*this); }
};

}  // namespace tessera::types
