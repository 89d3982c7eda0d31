// The geo commands: GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUS_RO GEORADIUSBYMEMBER
// GEORADIUSBYMEMBER_RO GEOSEARCH GEOSEARCHSTORE.
//
// Geo sets are sorted sets scored by 52-bit geohashes.  The arithmetic is in core/geo, the
// sorted-set access in core/keyspace/geo_ops.h, the option parsing in geo_args.h.  The order of
// checks follows Redis 7.2 (geo.c): the radius commands look the source key up first (WRONGTYPE
// wins over every argument error), then parse; a missing source answers an empty array, or 0
// after deleting the destination of a STORE.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/numbers.h"
#include "core/geo/geo_search.h"
#include "core/geo/geohash.h"
#include "core/keyspace/geo_ops.h"
#include "core/keyspace/zset_ops.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/commands/geo_args.h"
#include "server/server.h"

namespace tessera::server {

namespace {

// A coordinate as Redis's addReplyHumanLongDouble writes it: "%.17Lf" without trailing
// zeros, a bulk string in RESP2 and a double (",") in RESP3.
void ReplyCoordinate(CommandContext& ctx, double v) {
  ctx.reply.DoubleText(LongDoubleToHumanString(v));
}

// The source sorted set of a read; false after replying WRONGTYPE.
bool FindGeoSetOrReply(CommandContext& ctx, std::string_view key, const types::ZSetValue** out) {
  OpResult<types::ZSetValue*> z = keyspace::FindZSet(ctx.db, key);
  if (!z.ok()) {
    ReplyStatus(ctx, z.status());
    return false;
  }
  *out = *z;
  return true;
}

// GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]
void GeoAddCmd(CommandContext& ctx) {
  const ArgList args = ctx.args;
  keyspace::ZAddFlags flags;
  bool ch = false;
  size_t first = 2;
  for (; first < args.size(); ++first) {
    if (EqualsNoCase(args[first], "nx")) {
      flags.nx = true;
    } else if (EqualsNoCase(args[first], "xx")) {
      flags.xx = true;
    } else if (EqualsNoCase(args[first], "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  // No triple at all is ZADD's syntax error, which Redis reaches through it.
  if ((args.size() - first) % 3 != 0 || (flags.xx && flags.nx) || first == args.size()) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  std::vector<keyspace::ZAddPair> items;
  items.reserve((args.size() - first) / 3);
  for (size_t i = first; i < args.size(); i += 3) {
    double lon, lat;
    std::string error;
    if (!ParseLonLat(args[i], args[i + 1], &lon, &lat, &error)) {
      ctx.reply.Error(error);
      return;
    }
    items.push_back({static_cast<double>(geo::EncodeScore(lon, lat)), args[i + 2]});
  }
  OpResult<keyspace::ZAddResult> r = keyspace::OpZAdd(ctx.db, args[1], flags, items, ZSetLimitsOf(ctx));
  if (!r.ok()) return ReplyStatus(ctx, r.status());
  ctx.dirty += static_cast<int64_t>(r->added + r->updated);
  if (r->added + r->updated > 0) ctx.Changed(kNotifyZSet, "zadd", args[1]);  // GEOADD is a ZADD
  if (ctx.logging && ctx.dirty > 0) {
    // Logged as the ZADD it is, with the geohash scores computed once (as Redis rewrites it).
    std::vector<std::string> zadd{"ZADD", std::string(args[1])};
    if (flags.nx) zadd.emplace_back("NX");
    if (flags.xx) zadd.emplace_back("XX");
    for (const keyspace::ZAddPair& item : items) {
      zadd.push_back(std::to_string(static_cast<uint64_t>(item.score)));
      zadd.emplace_back(item.member);
    }
    ctx.Propagate(std::move(zadd));
  }
  ctx.reply.Integer(static_cast<int64_t>(ch ? r->added + r->updated : r->added));
}

// GEODIST key member1 member2 [M|KM|FT|MI]
void GeoDistCmd(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.args.size() == 5) {
    if (!ParseGeoUnit(ctx.args[4], &to_meters)) return ctx.reply.Error(errors::kGeoUnknownUnit);
  } else if (ctx.args.size() > 5) {
    return ctx.reply.Error(errors::kSyntax);
  }
  const types::ZSetValue* z;
  if (!FindGeoSetOrReply(ctx, ctx.args[1], &z)) return;
  double lon1, lat1, lon2, lat2;
  if (z == nullptr || !keyspace::GeoMemberPosition(*z, ctx.args[2], &lon1, &lat1) ||
      !keyspace::GeoMemberPosition(*z, ctx.args[3], &lon2, &lat2)) {
    return ctx.reply.Null();
  }
  ctx.reply.Bulk(geo::FormatDistance(geo::Distance(lon1, lat1, lon2, lat2) / to_meters));
}

// GEOHASH key [member ...]
void GeoHashCmd(CommandContext& ctx) {
  const types::ZSetValue* z;
  if (!FindGeoSetOrReply(ctx, ctx.args[1], &z)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::optional<double> score;
    if (z != nullptr) score = z->Score(ctx.args[i]);
    if (!score) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(geo::GeohashString(*score));
    }
  }
}

// GEOPOS key [member ...]
void GeoPosCmd(CommandContext& ctx) {
  const types::ZSetValue* z;
  if (!FindGeoSetOrReply(ctx, ctx.args[1], &z)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    double lon, lat;
    if (z == nullptr || !keyspace::GeoMemberPosition(*z, ctx.args[i], &lon, &lat)) {
      ctx.reply.NullArray();
      continue;
    }
    ctx.reply.ArrayHeader(2);
    ReplyCoordinate(ctx, lon);
    ReplyCoordinate(ctx, lat);
  }
}

void ReplyPoints(CommandContext& ctx, const GeoQuery& q, std::vector<geo::GeoPoint>& points,
                 size_t n) {
  const size_t options = q.with_dist + q.with_hash + q.with_coord;
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const geo::GeoPoint& p = points[i];
    if (options > 0) ctx.reply.ArrayHeader(options + 1);
    ctx.reply.Bulk(p.member);
    if (q.with_dist) ctx.reply.Bulk(geo::FormatDistance(p.dist / q.shape.to_meters));
    if (q.with_hash) ctx.reply.Integer(static_cast<int64_t>(p.score));
    if (q.with_coord) {
      ctx.reply.ArrayHeader(2);
      ReplyCoordinate(ctx, p.lon);
      ReplyCoordinate(ctx, p.lat);
    }
  }
}

// GEORADIUS, GEORADIUSBYMEMBER (and _RO), GEOSEARCH, GEOSEARCHSTORE: Redis's
// georadiusGeneric().  The source key is args[src_index].
void GeoRadiusGeneric(CommandContext& ctx, size_t src_index, uint32_t mode) {
  const types::ZSetValue* z;
  if (!FindGeoSetOrReply(ctx, ctx.args[src_index], &z)) return;
  GeoMemberLocator locate = [z](std::string_view member, double* lon, double* lat) {
    return keyspace::GeoMemberPosition(*z, member, lon, lat);
  };
  GeoQuery q;
  std::string error;
  if (!ParseGeoQuery(ctx.args, mode, z != nullptr ? &locate : nullptr, &q, &error)) {
    return ctx.reply.Error(error);
  }
  const bool store = q.store_index >= 0;
  if (z == nullptr) {
    if (!store) return ctx.reply.EmptyArray();
    if (ctx.db.Delete(ctx.args[q.store_index])) {
      ctx.dirty++;
      ctx.Changed(kNotifyGeneric, "del", ctx.args[q.store_index]);
    }
    return ctx.reply.Integer(0);
  }
  // COUNT without an order means the nearest ones, unless ANY asked for the first found.
  if (q.count != 0 && q.sort == GeoQuery::Sort::kNone && !q.any) q.sort = GeoQuery::Sort::kAsc;

  std::vector<geo::GeoPoint> points;
  geo::CollectPoints(q.shape, q.any ? static_cast<size_t>(q.count) : 0, keyspace::GeoScanner(*z),
                     &points);
  if (points.empty() && !store) return ctx.reply.EmptyArray();
  const size_t found = points.size();
  const size_t n = (q.count == 0 || found < static_cast<uint64_t>(q.count))
                       ? found
                       : static_cast<size_t>(q.count);
  if (q.sort != GeoQuery::Sort::kNone) {
    geo::SortPoints(&points, q.sort == GeoQuery::Sort::kDesc, n);
  }
  if (!store) return ReplyPoints(ctx, q, points, n);
  // The source's points are copies, so the destination may be the source itself.
  std::optional<double> divisor;
  if (q.store_dist) divisor = q.shape.to_meters;
  bool existed = ctx.db.Find(ctx.args[q.store_index], /*touch=*/false) != nullptr;
  keyspace::OpGeoStore(ctx.db, ctx.args[q.store_index], points, n, divisor, ZSetLimitsOf(ctx));
  if (n > 0 || existed) ctx.dirty++;
  if (n > 0) {
    ctx.Changed(kNotifyZSet,
                ctx.spec.name == "geosearchstore" ? "geosearchstore" : "georadiusstore",
                ctx.args[q.store_index]);
  } else if (existed) {
    ctx.Changed(kNotifyGeneric, "del", ctx.args[q.store_index]);
  }
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void GeoRadiusCmd(CommandContext& ctx) { GeoRadiusGeneric(ctx, 1, kGeoByCoords); }
void GeoRadiusRoCmd(CommandContext& ctx) { GeoRadiusGeneric(ctx, 1, kGeoByCoords | kGeoNoStore); }
void GeoRadiusByMemberCmd(CommandContext& ctx) { GeoRadiusGeneric(ctx, 1, kGeoByMember); }
void GeoRadiusByMemberRoCmd(CommandContext& ctx) {
  GeoRadiusGeneric(ctx, 1, kGeoByMember | kGeoNoStore);
}
void GeoSearchCmd(CommandContext& ctx) { GeoRadiusGeneric(ctx, 1, kGeoSearch); }
void GeoSearchStoreCmd(CommandContext& ctx) {
  GeoRadiusGeneric(ctx, 2, kGeoSearch | kGeoSearchStore);
}

// Keys of GEORADIUS (options from argument 6) and GEORADIUSBYMEMBER (from 5), as Redis 7.2's
// COMMAND GETKEYS finds them through the key specs: the source, the key after the first STORE,
// the key after the first STOREDIST.  The key the command writes is the last of those options
// (Redis's georadiusGetKeys()); it is appended when the specs missed it (STORE a STORE b), so
// the dispatcher always locks it.
void GeoRadiusKeysFrom(size_t startfrom, ArgList args, std::vector<int>* out) {
  out->push_back(1);
  for (std::string_view keyword : {"store", "storedist"}) {
    for (size_t i = startfrom; i + 1 < args.size(); ++i) {
      if (EqualsNoCase(args[i], keyword)) {
        out->push_back(static_cast<int>(i + 1));
        break;
      }
    }
  }
  int written = -1;
  for (size_t i = 5; i + 1 < args.size(); ++i) {
    if (EqualsNoCase(args[i], "store") || EqualsNoCase(args[i], "storedist")) {
      written = static_cast<int>(++i);
    }
  }
  if (written >= 0 && std::find(out->begin(), out->end(), written) == out->end()) {
    out->push_back(written);
  }
}

bool GeoRadiusKeys(ArgList args, std::vector<int>* out) {
  GeoRadiusKeysFrom(6, args, out);
  return true;
}

bool GeoRadiusByMemberKeys(ArgList args, std::vector<int>* out) {
  GeoRadiusKeysFrom(5, args, out);
  return true;
}

// --- Registration --------------------------------------------------------------------------

using namespace argdoc;  // NOLINT: argument tables read best unqualified

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, keys, kAclGeo, handler, "geo", since, complexity,
                  summary, std::move(arguments));
}

ArgDoc UnitArg() {
  return OneOf("unit", {PureToken("m", "m"), PureToken("km", "km"), PureToken("ft", "ft"),
                        PureToken("mi", "mi")});
}

ArgDoc CountArg() {
  return Block("count-block", {Int("count").Tok("COUNT"), PureToken("any", "ANY").Opt()}).Opt();
}

ArgDoc OrderArg() {
  return OneOf("order", {PureToken("asc", "ASC"), PureToken("desc", "DESC")}).Opt();
}

std::vector<ArgDoc> WithArgs() {
  return {PureToken("withcoord", "WITHCOORD").Opt(), PureToken("withdist", "WITHDIST").Opt(),
          PureToken("withhash", "WITHHASH").Opt()};
}

ArgDoc StoreArg() {
  return OneOf("store", {Key("storekey").Tok("STORE"), Key("storedistkey").Tok("STOREDIST")}).Opt();
}

std::vector<ArgDoc> RadiusArgs(bool by_member, bool with_store) {
  std::vector<ArgDoc> a = {Key("key")};
  if (by_member) {
    a.push_back(Str("member"));
  } else {
    a.push_back(Dbl("longitude"));
    a.push_back(Dbl("latitude"));
  }
  a.push_back(Dbl("radius"));
  a.push_back(UnitArg());
  for (ArgDoc& w : WithArgs()) a.push_back(w);
  a.push_back(CountArg());
  a.push_back(OrderArg());
  if (with_store) a.push_back(StoreArg());
  return a;
}

std::vector<ArgDoc> SearchArgs(bool store) {
  std::vector<ArgDoc> a;
  if (store) a.push_back(Key("destination"));
  a.push_back(Key("source"));
  a.push_back(
      OneOf("from", {Str("member").Tok("FROMMEMBER"),
                     Block("fromlonlat", {Dbl("longitude"), Dbl("latitude")}).Tok("FROMLONLAT")}));
  a.push_back(OneOf("by", {Block("circle", {Dbl("radius").Tok("BYRADIUS"), UnitArg()}),
                           Block("box", {Dbl("width").Tok("BYBOX"), Dbl("height"), UnitArg()})}));
  a.push_back(OrderArg());
  a.push_back(CountArg());
  if (store) {
    a.push_back(PureToken("storedist", "STOREDIST").Opt());
  } else {
    for (ArgDoc& w : WithArgs()) a.push_back(w);
  }
  return a;
}

constexpr KeySpec kOneKey{1, 1, 1};
// The source of a GEORADIUS that may STORE: read, though the command writes.
constexpr KeySpec kSourceKey{1, 1, 1, kKeyRO | kKeyAccess};
// Redis's key specs of a GEORADIUS that may store: the source, then the keys after STORE and
// STOREDIST searched from argument `startfrom` (the first option).
std::vector<KeySpec> StoreKeySpecs(int startfrom) {
  return {KeySpec{1, 1, 1, kKeyRO | kKeyAccess},
          KeySpec{startfrom, 0, 1, kKeyOW | kKeyUpdate, "STORE"},
          KeySpec{startfrom, 0, 1, kKeyOW | kKeyUpdate, "STOREDIST"}};
}

constexpr std::string_view kRadiusComplexity =
    "O(N+log(M)): M members in the index, N of them in the box around the circle.";
constexpr std::string_view kSearchComplexity =
    "O(N+log(M)): M members in the index, N of them in the grid cells around the shape.";

}  // namespace

void RegisterGeoFamily(CommandTable* table) {
  const uint32_t kW = kWrite | kDenyOom;
  const uint32_t kR = kReadOnly;
  table->Add(
      Spec("geoadd", -5, kW, KeySpec{1, 1, 1, kKeyRW | kKeyUpdate}, GeoAddCmd, "3.2.0",
           "O(log(N)) per member written, N being the sorted set's size.",
           "Puts places (longitude, latitude, name) in a geospatial index, creating the key when "
           "missing.",
           {Key("key"), OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX")}).Opt(),
            PureToken("change", "CH").Opt(),
            Block("data", {Dbl("longitude"), Dbl("latitude"), Str("member")}).Multi()}));
  table->Add(Spec("geodist", -4, kR, kOneKey, GeoDistCmd, "3.2.0", "O(1)",
                  "Measures the distance between two places of a geospatial index.",
                  {Key("key"), Str("member1"), Str("member2"), UnitArg().Opt()}));
  table->Add(Spec("geohash", -2, kR, kOneKey, GeoHashCmd, "3.2.0", "O(1) per member.",
                  "Gives places of a geospatial index as 11-character geohashes.",
                  {Key("key"), Str("member").Opt().Multi()}));
  table->Add(Spec("geopos", -2, kR, kOneKey, GeoPosCmd, "3.2.0", "O(1) per member.",
                  "Gives the longitude and latitude of places of a geospatial index.",
                  {Key("key"), Str("member").Opt().Multi()}));

  CommandSpec georadius =
      Spec("georadius", -6, kW, kSourceKey, GeoRadiusCmd, "3.2.0", kRadiusComplexity,
           "Finds the places within a radius of a point; may store them (use GEOSEARCH).",
           RadiusArgs(false, true));
  georadius.key_extractor = GeoRadiusKeys;
  georadius.key_specs = StoreKeySpecs(6);
  table->Add(std::move(georadius));
  CommandSpec bymember = Spec(
      "georadiusbymember", -5, kW, kSourceKey, GeoRadiusByMemberCmd, "3.2.0", kRadiusComplexity,
      "Finds the places within a radius of a member; may store them (use GEOSEARCH).",
      RadiusArgs(true, true));
  bymember.key_extractor = GeoRadiusByMemberKeys;
  bymember.key_specs = StoreKeySpecs(5);
  table->Add(std::move(bymember));
  table->Add(Spec("georadius_ro", -6, kR, kOneKey, GeoRadiusRoCmd, "3.2.10", kRadiusComplexity,
                  "Finds the places within a radius of a point, read-only (use GEOSEARCH).",
                  RadiusArgs(false, false)));
  table->Add(Spec("georadiusbymember_ro", -5, kR, kOneKey, GeoRadiusByMemberRoCmd, "3.2.10",
                  kRadiusComplexity,
                  "Finds the places within a radius of a member, read-only (use GEOSEARCH).",
                  RadiusArgs(true, false)));
  table->Add(Spec("geosearch", -7, kR, kOneKey, GeoSearchCmd, "6.2.0", kSearchComplexity,
                  "Finds the places inside a circle or a box around a point or a member.",
                  SearchArgs(false)));
  CommandSpec searchstore = Spec(
      "geosearchstore", -8, kW, KeySpec{1, 2, 1}, GeoSearchStoreCmd, "6.2.0", kSearchComplexity,
      "Stores the places inside a circle or a box around a point or a member in a key.",
      SearchArgs(true));
  searchstore.key_specs = {KeySpec{1, 1, 1, kKeyOW | kKeyUpdate},
                           KeySpec{2, 2, 1, kKeyRO | kKeyAccess}};
  table->Add(std::move(searchstore));
}

}  // namespace tessera::server
