// What other parts of the server need from the FUNCTION family.
#pragma once

#include <string>
#include <string_view>

namespace tessera::server {

class Server;

// Compiles a library from its code (with its #!lua shebang) and adds it, as FUNCTION LOAD
// [REPLACE] does; false with Redis's error text when it fails.  Loading an RDB file's function
// libraries uses it.
bool LoadLibraryCode(Server& server, std::string_view code, bool replace, std::string* error);

}  // namespace tessera::server
