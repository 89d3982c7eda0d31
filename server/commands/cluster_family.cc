// Cluster commands: CLUSTER and its subcommands, READONLY, READWRITE, ASKING.
//
// We are never a cluster node, so every one of them answers as a Redis with cluster-enabled
// no does: "ERR This instance has cluster support disabled" (CLUSTER HELP included, as in
// Redis).  They exist so that COMMAND shows Redis's table (cluster-aware clients and tools
// read it), ACL rules naming them (+readonly, -cluster|reset) work, and a script calling one
// meets Redis's flag checks (CLUSTER RESET is noscript).
#include "server/commands/command.h"
#include "server/commands/errors.h"

namespace tessera::server {

namespace {

void ClusterDisabled(CommandContext& ctx) { ctx.reply.Error(errors::kClusterDisabled); }

struct Doc {
  std::string_view summary;
  std::string_view since;
  std::string_view complexity;
};

// COMMAND INFO's tips come from Redis's table (command_docs_data.h).
CommandSpec Spec(std::string name, int arity, uint32_t flags, Doc doc) {
  return MakeSpec(std::move(name), arity, flags, KeySpec{}, 0, ClusterDisabled, "cluster",
                  doc.since, doc.complexity, doc.summary);
}

}  // namespace

void RegisterClusterFamily(CommandTable* table) {
  // Redis's flag sets for the node-changing subcommands and for the read-only ones.
  constexpr uint32_t kChange = kNoAsyncLoading | kAdmin | kStale;
  constexpr uint32_t kRead = kStale;
  CommandSpec cluster = MakeContainerSpec("cluster", "cluster", "3.0.0",
                                          "A container for the commands of Redis Cluster.");
  cluster.subcommands = {
      Spec("addslots", -3, kChange,
           {"Makes the node serve the given hash slots.", "3.0.0",
            "O(N) in the number of slots given."}),
      Spec("addslotsrange", -4, kChange,
           {"Makes the node serve the given ranges of hash slots.", "7.0.0",
            "O(N) in the number of slots the ranges hold."}),
      Spec("bumpepoch", 2, kChange,
           {"Gives the node a configuration epoch above every other known one.", "3.0.0", "O(1)"}),
      Spec("count-failure-reports", 3, kAdmin | kStale,
           {"Counts the live failure reports about a node.", "3.0.0",
            "O(N) in the number of failure reports."}),
      Spec("countkeysinslot", 3, kRead,
           {"Counts the keys that hash to a slot.", "3.0.0", "O(1)"}),
      Spec("delslots", -3, kChange,
           {"Stops the node serving the given hash slots.", "3.0.0",
            "O(N) in the number of slots given."}),
      Spec("delslotsrange", -4, kChange,
           {"Stops the node serving the given ranges of hash slots.", "7.0.0",
            "O(N) in the number of slots the ranges hold."}),
      Spec("failover", -2, kChange,
           {"Makes a replica take over from its primary by hand.", "3.0.0", "O(1)"}),
      Spec("flushslots", 2, kChange,
           {"Forgets every hash slot the node serves.", "3.0.0", "O(1)"}),
      Spec("forget", 3, kChange,
           {"Drops a node from this node's view of the cluster.", "3.0.0", "O(1)"}),
      Spec("getkeysinslot", 4, kRead,
           {"Lists key names that hash to a slot.", "3.0.0",
            "O(N) in the number of keys asked for."}),
      Spec("help", 2, kLoading | kStale,
           {"Lists the CLUSTER subcommands.", "5.0.0", "O(1)"}),
      Spec("info", 2, kRead,
           {"Reports the cluster's state as this node sees it.", "3.0.0", "O(1)"}),
      Spec("keyslot", 3, kRead,
           {"Computes the hash slot of a key name.", "3.0.0",
            "O(N) in the length of the key name."}),
      Spec("links", 2, kRead,
           {"Lists the node's connections to and from its peers.", "7.0.0",
            "O(N) in the number of nodes."}),
      Spec("meet", -4, kChange,
           {"Introduces the node to another, which joins its cluster.", "3.0.0", "O(1)"}),
      Spec("myid", 2, kRead, {"Answers the node's ID.", "3.0.0", "O(1)"}),
      Spec("myshardid", 2, kRead, {"Answers the ID of the node's shard.", "7.2.0", "O(1)"}),
      Spec("nodes", 2, kRead,
           {"Describes every node of the cluster as this node sees it.", "3.0.0",
            "O(N) in the number of nodes."}),
      Spec("replicas", 3, kAdmin | kStale,
           {"Describes the replicas of a primary.", "5.0.0", "O(N) in the number of replicas."}),
      Spec("replicate", 3, kChange,
           {"Makes the node a replica of the given primary.", "3.0.0", "O(1)"}),
      Spec("reset", -2, kAdmin | kStale | kNoScript,
           {"Makes the node forget its cluster, softly or hard.", "3.0.0",
            "O(N) in the number of known nodes; a primary's keys are flushed too."}),
      Spec("saveconfig", 2, kChange,
           {"Writes the node's cluster configuration file now.", "3.0.0", "O(1)"}),
      Spec("set-config-epoch", 3, kChange,
           {"Gives a new node its configuration epoch.", "3.0.0", "O(1)"}),
      Spec("setslot", -4, kChange,
           {"Changes who serves a hash slot, or its migration state.", "3.0.0", "O(1)"}),
      Spec("shards", 2, kLoading | kStale,
           {"Describes the cluster's shards: their slot ranges and nodes.", "7.0.0",
            "O(N) in the number of nodes."}),
      Spec("slaves", 3, kAdmin | kStale,
           {"Describes the replicas of a primary (the old name of CLUSTER REPLICAS).", "3.0.0",
            "O(N) in the number of replicas."}),
      Spec("slots", 2, kLoading | kStale,
           {"Maps the cluster's slot ranges to the nodes that serve them.", "3.0.0",
            "O(N) in the number of nodes."}),
  };
  table->Add(std::move(cluster));

  auto add = [&](std::string name, uint32_t flags, std::string_view summary) {
    table->Add(MakeSpec(std::move(name), 1, flags, KeySpec{}, kAclFast | kAclConnection,
                        ClusterDisabled, "cluster", "3.0.0", "O(1)", summary));
  };
  add("readonly", kLoading | kStale | kFast,
      "Lets a cluster replica's connection serve reads of the slots its primary owns.");
  add("readwrite", kLoading | kStale | kFast,
      "Ends READONLY on a cluster replica's connection, so reads redirect to the primary again.");
  add("asking", kFast, "Tells a cluster node that the next command follows an -ASK redirection.");
}

}  // namespace tessera::server
