// CONFIG SET port, bind and tls-port at run time (Redis 7.2's changeListener).
//
// The new sockets are bound first, on the thread running CONFIG SET: a port another process
// holds or an address that cannot be bound fails the CONFIG SET with Redis's error, and the
// server keeps listening where it did.  Then every worker swaps its listeners for the new
// ones: the calling worker at once, the others through their inboxes, waited for (up to a
// second) so that a client connecting after the +OK meets the new set.  Connections already
// accepted are not touched.  Setting tls-port on a server started without TLS builds its TLS
// context then, from the tls-* directives.
#pragma once

#include <memory>
#include <vector>

#include "server/config/config.h"
#include "server/net/tls.h"
#include "server/net/worker.h"
#include "server/server.h"

namespace tessera::server::net {

// Registers the OnApply hooks of port, bind and tls-port, and of the tls-* directives that
// rebuild the TLS context (certificate rotation).  `tls` may be null (no TLS yet) and may be
// created by a later CONFIG SET tls-port; everything referenced must outlive the workers.
void RegisterListenerHooks(ConfigRegistry& registry, Server& server,
                           std::vector<std::unique_ptr<Worker>>& workers,
                           std::unique_ptr<TlsContextHolder>& tls);

}  // namespace tessera::server::net
