// The one place that lists the command families (STYLE 4: adding a family is one line here).
#include "server/commands/command.h"
#include "server/config/config.h"

namespace tessera::server {

void RegisterStringFamily(CommandTable* table);
void RegisterBitmapFamily(CommandTable* table);
void RegisterListFamily(CommandTable* table);
void RegisterSortFamily(CommandTable* table);
void RegisterKeysFamily(CommandTable* table);
void RegisterDumpFamily(CommandTable* table);
void RegisterMigrateCommand(CommandTable* table);
void RegisterConnectionFamily(CommandTable* table);
void RegisterServerFamily(CommandTable* table);
void RegisterScriptingFamily(CommandTable* table);
void RegisterHashFamily(CommandTable* table);
void RegisterSetFamily(CommandTable* table);
void RegisterTransactionFamily(CommandTable* table);
void RegisterHllFamily(CommandTable* table);
void RegisterZSetFamily(CommandTable* table);
void RegisterGeoFamily(CommandTable* table);
void RegisterStreamFamily(CommandTable* table);
void RegisterPubSubFamily(CommandTable* table);
void RegisterAclFamily(CommandTable* table);
void RegisterModuleAndLolwut(CommandTable* table);
void RegisterLatencyFamily(CommandTable* table);
void RegisterClusterFamily(CommandTable* table);
void RegisterReplicationFamily(CommandTable* table);

void RegisterAllFamilies(CommandTable* table) {
  RegisterStringFamily(table);
  RegisterBitmapFamily(table);
  RegisterListFamily(table);
  RegisterSortFamily(table);
  RegisterKeysFamily(table);
  RegisterDumpFamily(table);
  RegisterMigrateCommand(table);
  RegisterConnectionFamily(table);
  RegisterServerFamily(table);
  RegisterScriptingFamily(table);
  RegisterHashFamily(table);
  RegisterSetFamily(table);
  RegisterTransactionFamily(table);
  RegisterHllFamily(table);
  RegisterZSetFamily(table);
  RegisterGeoFamily(table);
  RegisterStreamFamily(table);
  RegisterPubSubFamily(table);
  RegisterAclFamily(table);
  RegisterModuleAndLolwut(table);
  RegisterLatencyFamily(table);
  RegisterClusterFamily(table);
  RegisterReplicationFamily(table);
}

std::vector<std::string> TopLevelCommandNames() {
  static const std::vector<std::string> names = [] {
    CommandTable table;
    RegisterAllFamilies(&table);
    table.Finalize();
    std::vector<std::string> out;
    for (const CommandSpec& c : table.top_level()) out.push_back(c.name);
    return out;
  }();
  return names;
}

}  // namespace tessera::server
