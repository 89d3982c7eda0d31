// ListValue: placeholder for the list type, replaced when the list family lands.  It holds nothing
// and no command creates one; it exists so that object.h's switch compiles.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera::types {

class ListValue {
 public:
  ListValue* Clone() const { return new ListValue(*this); }
  std::string_view EncodingName() const { return "unknown"; }
  size_t AllocationSize() const { return sizeof(*this); }
};

}  // namespace tessera::types
