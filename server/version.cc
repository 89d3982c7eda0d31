#include "server/version.h"

namespace tessera::server {

const char* TesseraVersion() { return TESSERA_VERSION; }

}  // namespace tessera::server
