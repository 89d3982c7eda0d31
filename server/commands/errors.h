// Every error reply text, once (STYLE 9).  Clients and the Redis test suite match on these
// byte for byte; the leading '-' and CRLF are added by ReplyBuilder::Error.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace tessera::server::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kIndexOutOfRange = "ERR index out of range";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kIncrFloatNaN = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kStringTooBig =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
inline constexpr std::string_view kInvalidExpire = "ERR invalid expire time in '%s' command";
inline constexpr std::string_view kBusyKey = "BUSYKEY Target key name already exists.";
// RESTORE's refusals, in the order Redis checks them.
inline constexpr std::string_view kInvalidIdletime = "ERR Invalid IDLETIME value, must be >= 0";
inline constexpr std::string_view kInvalidFreq = "ERR Invalid FREQ value, must be >= 0 and <= 255";
inline constexpr std::string_view kInvalidTtl = "ERR Invalid TTL value, must be >= 0";
inline constexpr std::string_view kBadDumpFooter = "ERR DUMP payload version or checksum are wrong";
inline constexpr std::string_view kBadDumpData = "ERR Bad data format";
inline constexpr std::string_view kSameObject =
    "ERR source and destination objects are the same";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kTimeoutNotFloat = "ERR timeout is not a float or out of range";
inline constexpr std::string_view kTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kTimeoutOutOfRange = "ERR timeout is out of range";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kDebugDisabled =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";
inline constexpr std::string_view kModuleDisabled =
    "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", "
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";
inline constexpr std::string_view kProtectedMode =
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    "Alternatively you can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then restarting the server. 3) If "
    "you started the server manually just for testing, restart it with the '--protected-mode "
    "no' option. 4) Set up an authentication password for the default user. NOTE: You only "
    "need to do one of the above things in order for the server to start accepting "
    "connections from the outside.";

// Keys family (keys_family.cc).
inline constexpr std::string_view kIntArgOutOfRange =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kInvalidFirstDbIndex = "ERR invalid first DB index";
inline constexpr std::string_view kInvalidSecondDbIndex = "ERR invalid second DB index";
inline constexpr std::string_view kExpireNxConflict =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kExpireGtLtConflict =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr std::string_view kLfuNotSelected =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr std::string_view kLfuSelected =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";
// `text` (one of the texts here with a "%s") with its "%s" replaced by `arg`.
std::string WithArg(std::string_view text, std::string_view arg);
// "ERR invalid expire time in '<command>' command" (kInvalidExpire with the command's name).
inline std::string InvalidExpire(std::string_view command) { return WithArg(kInvalidExpire, command); }
// "ERR Unsupported option <option>" (EXPIRE and friends).
std::string UnsupportedOption(std::string_view option);

// Server family (INFO, CONFIG, COMMAND, SLOWLOG, DEBUG, MEMORY).  Texts with {} are
// fmt format strings: fmt::format(fmt::runtime(kX), ...).
inline constexpr std::string_view kSubcommandSyntaxFmt =
    "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.";
inline constexpr std::string_view kSlowlogCount =
    "ERR count should be greater than or equal to -1";
// READONLY, READWRITE and ASKING on a server that is not a cluster node (as Redis without
// cluster-enabled answers them).
inline constexpr std::string_view kClusterDisabled =
    "ERR This instance has cluster support disabled";
inline constexpr std::string_view kGetKeysInvalidCommand = "ERR Invalid command specified";
inline constexpr std::string_view kGetKeysWrongArity =
    "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kGetKeysNoKeys = "ERR The command has no key arguments";
inline constexpr std::string_view kGetKeysInvalidArgs =
    "ERR Invalid arguments specified for command";
inline constexpr std::string_view kDebugProtocolType =
    "ERR Wrong protocol type name. Please use one of the following: "
    "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";
inline constexpr std::string_view kResp2NotSupported = "ERR RESP2 is not supported by this command";
inline constexpr std::string_view kDigestUnsupportedType =
    "ERR DEBUG DIGEST does not support this value type yet";
inline constexpr std::string_view kAllocatorRefused = "ERR the allocator refused to purge";

// String family.
inline constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";
// "%s" is the command's name, as in kInvalidExpire.
inline constexpr std::string_view kWrongArity = "ERR wrong number of arguments for '%s' command";
inline std::string WrongArity(std::string_view command) { return WithArg(kWrongArity, command); }
inline constexpr std::string_view kLcsWrongType =
    "ERR The specified keys must contain string values";
inline constexpr std::string_view kLcsLenAndIdx =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kLcsTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kLcsOverBudget =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kLcsNoMemory =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

// Bitmap family.
inline constexpr std::string_view kBitOffsetOutOfRange =
    "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view kBitOutOfRange = "ERR bit is not an integer or out of range";
inline constexpr std::string_view kBitArgument = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view kBitopNotSingleKey =
    "ERR BITOP NOT must be called with a single source key.";
inline constexpr std::string_view kBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
inline constexpr std::string_view kBitfieldOverflowType = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view kBitfieldRoWrite =
    "ERR BITFIELD_RO only supports the GET subcommand";

// List family.
inline constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr std::string_view kRankOutOfRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr std::string_view kCountNegative = "ERR COUNT can't be negative";
inline constexpr std::string_view kMaxlenNegative = "ERR MAXLEN can't be negative";
inline constexpr std::string_view kNumkeysPositive = "ERR numkeys should be greater than 0";
inline constexpr std::string_view kCountPositive = "ERR count should be greater than 0";
inline constexpr std::string_view kPackedThreshold =
    "ERR argument must be a memory value bigger than 1 and smaller than 4gb";
inline constexpr std::string_view kNotListpack = "ERR Not a listpack encoded object.";
inline constexpr std::string_view kNotQuicklist = "ERR Not a quicklist encoded object.";
// Hash family.
inline constexpr std::string_view kHashValueNotInteger = "ERR hash value is not an integer";
inline constexpr std::string_view kHashValueNotFloat = "ERR hash value is not a float";
inline constexpr std::string_view kValueNanOrInf = "ERR value is NaN or Infinity";
inline constexpr std::string_view kValueOutOfRange = "ERR value is out of range";
inline constexpr std::string_view kRandFieldCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr std::string_view kFieldExpireNegative = "ERR invalid expire time, must be >= 0";
inline constexpr std::string_view kFieldsMissing =
    "ERR Mandatory argument FIELDS is missing or not at the right position";
inline constexpr std::string_view kNumFieldsNotPositive =
    "ERR Parameter `numFields` should be greater than 0";
inline constexpr std::string_view kFieldCountNotPositive =
    "ERR Number of fields must be a positive integer";
inline constexpr std::string_view kNumFieldsMismatch =
    "ERR The `numfields` parameter must match the number of arguments";
// Set family (kMustBePositive and kNumkeysPositive are the list family's).
// fmt format string: the range's two bounds (getRangeLongFromObjectOrReply's default text).
inline constexpr std::string_view kValueRangeFmt =
    "ERR value is out of range, value must between {} and {}";
inline constexpr std::string_view kNumkeysOverArgs =
    "ERR Number of keys can't be greater than number of args";
inline constexpr std::string_view kLimitNegative = "ERR LIMIT can't be negative";

// Transactions.
inline constexpr std::string_view kNotAllowedInMulti = "ERR Command not allowed inside a transaction";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kOom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kScriptOom =
    "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
inline constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
// EXEC refused before it ran: the prefix of the reason (Redis's execCommandAbort).
inline constexpr std::string_view kExecAbortBecause =
    "EXECABORT Transaction discarded because of: ";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kMultiNested = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kWatchInMulti = "ERR WATCH inside MULTI is not allowed";

// Sorted-set family.
inline constexpr std::string_view kZAddXxNx =
    "ERR XX and NX options at the same time are not compatible";
inline constexpr std::string_view kZAddGtLtNx =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr std::string_view kZAddIncrPairs =
    "ERR INCR option supports a single increment-element pair";
inline constexpr std::string_view kZScoreNaN = "ERR resulting score is not a number (NaN)";
inline constexpr std::string_view kZMinMaxNotFloat = "ERR min or max is not a float";
inline constexpr std::string_view kZMinMaxNotLex = "ERR min or max not valid string range item";
inline constexpr std::string_view kZRangeLimit =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
inline constexpr std::string_view kZRangeLexScores =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
inline constexpr std::string_view kZWeightNotFloat = "ERR weight value is not a float";
inline constexpr std::string_view kOutOfRange = "ERR value is out of range";

// Sort family.
inline constexpr std::string_view kSortNotADouble =
    "ERR One or more scores can't be converted into double";

// The error for a core status, for the statuses that have one fixed text.
std::string_view ForStatus(OpStatus status);

// HyperLogLog family.
inline constexpr std::string_view kNotHll =
    "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr std::string_view kCorruptHll = "INVALIDOBJ Corrupted HLL object detected";
inline constexpr std::string_view kPfDebugNoKey = "ERR The specified key does not exist";
inline constexpr std::string_view kPfDebugNotSparse = "ERR HLL encoding is not sparse";
// "%s" is the subcommand as given.
inline constexpr std::string_view kPfDebugUnknown = "ERR Unknown PFDEBUG subcommand '%s'";
// Geo family (geo_family.cc, geo_args.cc).  Texts with {} are fmt format strings.
inline constexpr std::string_view kGeoInvalidLonLatFmt = "ERR invalid longitude,latitude pair {}";
inline constexpr std::string_view kGeoUnknownUnit =
    "ERR unsupported unit provided. please use M, KM, FT, MI";
inline constexpr std::string_view kGeoNeedRadius = "ERR need numeric radius";
inline constexpr std::string_view kGeoNegativeRadius = "ERR radius cannot be negative";
inline constexpr std::string_view kGeoNeedWidth = "ERR need numeric width";
inline constexpr std::string_view kGeoNeedHeight = "ERR need numeric height";
inline constexpr std::string_view kGeoNegativeBox = "ERR height or width cannot be negative";
inline constexpr std::string_view kGeoCountNotPositive = "ERR COUNT must be > 0";
inline constexpr std::string_view kGeoMemberNotFound = "ERR could not decode requested zset member";
inline constexpr std::string_view kGeoStoreWithOptionsFmt =
    "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
inline constexpr std::string_view kGeoNeedFromFmt =
    "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}";
inline constexpr std::string_view kGeoNeedByFmt =
    "ERR exactly one of BYRADIUS and BYBOX can be specified for {}";
inline constexpr std::string_view kGeoAnyWithoutCount =
    "ERR the ANY argument requires COUNT argument";

// Stream family (stream_*.cc).  Texts with {} are fmt format strings.
inline constexpr std::string_view kStreamInvalidId =
    "ERR Invalid stream ID specified as stream command argument";
inline constexpr std::string_view kStreamMaxLenMinId =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
inline constexpr std::string_view kStreamMaxLenNegative = "ERR The MAXLEN argument must be >= 0.";
inline constexpr std::string_view kStreamLimitNegative = "ERR The LIMIT argument must be >= 0.";
inline constexpr std::string_view kStreamLimitNoStrategy =
    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
inline constexpr std::string_view kStreamTrimNoStrategy =
    "ERR syntax error, XTRIM must be called with a trimming strategy";
inline constexpr std::string_view kStreamLimitNoApprox =
    "ERR syntax error, LIMIT cannot be used without the special ~ option";
inline constexpr std::string_view kStreamIdZero =
    "ERR The ID specified in XADD must be greater than 0-0";
inline constexpr std::string_view kStreamExhausted =
    "ERR The stream has exhausted the last possible ID, unable to add more items";
inline constexpr std::string_view kStreamIdTooSmall =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
inline constexpr std::string_view kStreamTooLarge = "ERR Elements are too large to be stored";
inline constexpr std::string_view kStreamBadStart = "ERR invalid start ID for the interval";
inline constexpr std::string_view kStreamBadEnd = "ERR invalid end ID for the interval";
inline constexpr std::string_view kStreamUnbalancedFmt =
    "ERR Unbalanced '{}' list of streams: for each stream key an ID or '{}' must be specified.";
inline constexpr std::string_view kStreamGroupOnlyXreadgroup =
    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
inline constexpr std::string_view kStreamNoackOnlyXreadgroup =
    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
inline constexpr std::string_view kStreamMissingGroup = "ERR Missing GROUP option for XREADGROUP";
inline constexpr std::string_view kStreamDollarInGroup =
    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
    "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID "
    "would just return an empty result set.";
inline constexpr std::string_view kStreamPlusInGroup =
    "ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of "
    "this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID "
    "would just return an empty result set.";
inline constexpr std::string_view kStreamLastIdZero = "ERR the stream last element ID is 0-0";
inline constexpr std::string_view kStreamGtOutsideGroup =
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
    "<consumer> option.";
inline constexpr std::string_view kStreamNoGroupReadFmt =
    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option";
inline constexpr std::string_view kStreamNoGroupFmt =
    "NOGROUP No such key '{}' or consumer group '{}'";
inline constexpr std::string_view kStreamNoGroupForKeyFmt =
    "NOGROUP No such consumer group '{}' for key name '{}'";
inline constexpr std::string_view kStreamEntriesReadRange =
    "ERR value for ENTRIESREAD must be positive or -1";
inline constexpr std::string_view kStreamGroupNeedsKey =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";
inline constexpr std::string_view kStreamBusyGroup = "BUSYGROUP Consumer Group name already exists";
inline constexpr std::string_view kStreamEntriesAddedNegative =
    "ERR entries_added must be positive";
inline constexpr std::string_view kStreamSetIdBelowGivenMaxDeleted =
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
inline constexpr std::string_view kStreamSetIdBelowMaxDeleted =
    "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id";
inline constexpr std::string_view kStreamSetIdBelowTop =
    "ERR The ID specified in XSETID is smaller than the target stream top item";
inline constexpr std::string_view kStreamEntriesAddedBelowLength =
    "ERR The entries_added specified in XSETID is smaller than the target stream length";
inline constexpr std::string_view kStreamClaimMinIdle =
    "ERR Invalid min-idle-time argument for XCLAIM";
inline constexpr std::string_view kStreamClaimIdle = "ERR Invalid IDLE option argument for XCLAIM";
inline constexpr std::string_view kStreamClaimTime = "ERR Invalid TIME option argument for XCLAIM";
inline constexpr std::string_view kStreamClaimRetry =
    "ERR Invalid RETRYCOUNT option argument for XCLAIM";
inline constexpr std::string_view kStreamClaimUnknownFmt = "ERR Unrecognized XCLAIM option '{}'";
inline constexpr std::string_view kStreamAutoclaimMinIdle =
    "ERR Invalid min-idle-time argument for XAUTOCLAIM";
inline constexpr std::string_view kStreamAutoclaimCount = "ERR COUNT must be > 0";
inline constexpr std::string_view kStreamBlockInScriptFmt =
    "ERR {} command is not allowed with BLOCK option from scripts";
// Pub/Sub (pubsub_family.cc, dispatcher.cc).  Texts with {} are fmt format strings.
// A RESP2 client with subscriptions running anything else; {} is the command's full name.
inline constexpr std::string_view kPubSubContextFmt =
    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
    "allowed in this context";
// SSUBSCRIBE inside MULTI (Redis's deny-blocking clients); {} is the command in upper case.
inline constexpr std::string_view kDenyBlockingSubscribeFmt =
    "ERR {} isn't allowed for a DENY BLOCKING client";
// Scripting (EVAL, SCRIPT, FUNCTION, FCALL and redis.call inside scripts).
// Persistence.
// min-replicas-to-write not met (Redis's shared.noreplicaserr).
inline constexpr std::string_view kNoReplicas = "NOREPLICAS Not enough good replicas to write.";
// A write on a read-only replica (Redis's shared.roslaveerr).
inline constexpr std::string_view kReadOnlyReplica =
    "READONLY You can't write against a read only replica.";
// A replica whose link is down, with replica-serve-stale-data no (shared.masterdownerr).
inline constexpr std::string_view kMasterDown =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
inline constexpr std::string_view kMisconfRdb =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
    "to disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error.";
inline constexpr std::string_view kLoading = "LOADING Redis is loading the dataset in memory";
inline constexpr std::string_view kBusyScript =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";
inline constexpr std::string_view kNumKeysTooBig =
    "ERR Number of keys can't be greater than number of args";
inline constexpr std::string_view kNumKeysNegative = "ERR Number of keys can't be negative";
inline constexpr std::string_view kScriptWriteFlagRo =
    "ERR Can not execute a script with write flag using *_ro command.";
inline constexpr std::string_view kNotBusy = "NOTBUSY No scripts in execution right now.";
inline constexpr std::string_view kUnkillable =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
inline constexpr std::string_view kScriptFlushOption =
    "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
inline constexpr std::string_view kScriptDebugOption = "ERR Use SCRIPT DEBUG YES/SYNC/NO";
inline constexpr std::string_view kScriptDebugPipeline =
    "ERR SCRIPT DEBUG must be called outside a pipeline";
inline constexpr std::string_view kScriptDebugEvalsha =
    "ERR Please use EVAL instead of EVALSHA for debugging";
// Ours (Redis forks for SCRIPT DEBUG YES and drops the child's changes; we undo them).  A
// redis.call rejection, so without its code (ERR), like kScriptUnknownCommand.
inline constexpr std::string_view kScriptDebugCannotUndo =
    "This command cannot be undone at the end of a SCRIPT DEBUG YES session (use SCRIPT "
    "DEBUG SYNC)";
inline constexpr std::string_view kFunctionFlushOption =
    "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
inline constexpr std::string_view kFunctionNotFound = "ERR Function not found";
inline constexpr std::string_view kLibraryNotFound = "ERR Library not found";
// Texts a script's redis.call gets back (Redis adds "ERR " when it raises them).
inline constexpr std::string_view kScriptUnknownCommand =
    "Unknown Redis command called from script";
inline constexpr std::string_view kScriptWrongArity =
    "Wrong number of args calling Redis command from script";
inline constexpr std::string_view kScriptNoScriptCommand =
    "This Redis command is not allowed from script";
inline constexpr std::string_view kScriptWriteInReadOnly =
    "Write commands are not allowed from read-only scripts.";

}  // namespace tessera::server::errors
