// SetValue: placeholder for the set type, replaced when the set family lands.  It holds nothing
// and no command creates one; it exists so that object.h's switch compiles.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera::types {

class SetValue {
 public:
  SetValue* Clone() const { return new SetValue(*this); }
  std::string_view EncodingName() const { return "unknown"; }
  size_t AllocationSize() const { return sizeof(*this); }
};

}  // namespace tessera::types
