#include "server/commands/geo_args.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/base/numbers.h"
#include "server/commands/args.h"
#include "server/commands/errors.h"

namespace tessera::server {
namespace {

// Redis prints the refused pair with "%f".
std::string FormatPair(double lon, double lat) {
  char buf[700];
  std::snprintf(buf, sizeof(buf), "%f,%f", lon, lat);
  return buf;
}

bool Fail(std::string* error, std::string_view text) {
  error->assign(text);
  return false;
}

// "<radius> <unit>" (extractDistanceOrReply).
bool ParseRadius(ArgList args, size_t i, geo::Shape* shape, std::string* error) {
  double radius;
  if (!ParseDouble(args[i], &radius)) return Fail(error, errors::kGeoNeedRadius);
  if (radius < 0) return Fail(error, errors::kGeoNegativeRadius);
  shape->radius = radius;
  if (!ParseGeoUnit(args[i + 1], &shape->to_meters)) return Fail(error, errors::kGeoUnknownUnit);
  return true;
}

// "<width> <height> <unit>" (extractBoxOrReply).
bool ParseBox(ArgList args, size_t i, geo::Shape* shape, std::string* error) {
  double width, height;
  if (!ParseDouble(args[i], &width)) return Fail(error, errors::kGeoNeedWidth);
  if (!ParseDouble(args[i + 1], &height)) return Fail(error, errors::kGeoNeedHeight);
  if (height < 0 || width < 0) return Fail(error, errors::kGeoNegativeBox);
  shape->width = width;
  shape->height = height;
  if (!ParseGeoUnit(args[i + 2], &shape->to_meters)) return Fail(error, errors::kGeoUnknownUnit);
  return true;
}

// State of the option loop beyond what GeoQuery keeps.
struct Seen {
  bool from_member = false;
  bool from_lonlat = false;
  bool by_radius = false;
  bool by_box = false;
};

// Parses the option at args[i]; advances *i past its arguments.  `left` is the number of
// arguments after args[i].
bool ParseOption(ArgList args, size_t* i, uint32_t mode, const GeoMemberLocator* locate,
                 GeoQuery* q, Seen* seen, std::string* error) {
  const std::string_view arg = args[*i];
  const size_t left = args.size() - *i - 1;
  const bool search = (mode & kGeoSearch) != 0;
  const bool radius_store = !(mode & kGeoNoStore) && !search;
  if (EqualsNoCase(arg, "withdist")) {
    q->with_dist = true;
  } else if (EqualsNoCase(arg, "withhash")) {
    q->with_hash = true;
  } else if (EqualsNoCase(arg, "withcoord")) {
    q->with_coord = true;
  } else if (EqualsNoCase(arg, "any")) {
    q->any = true;
  } else if (EqualsNoCase(arg, "asc")) {
    q->sort = GeoQuery::Sort::kAsc;
  } else if (EqualsNoCase(arg, "desc")) {
    q->sort = GeoQuery::Sort::kDesc;
  } else if (EqualsNoCase(arg, "count") && left >= 1) {
    if (!ParseInt64(args[*i + 1], &q->count)) return Fail(error, errors::kNotInteger);
    if (q->count <= 0) return Fail(error, errors::kGeoCountNotPositive);
    *i += 1;
  } else if ((EqualsNoCase(arg, "store") || EqualsNoCase(arg, "storedist")) && left >= 1 &&
             radius_store) {
    q->store_index = static_cast<int>(*i + 1);
    q->store_dist = EqualsNoCase(arg, "storedist");
    *i += 1;
  } else if (EqualsNoCase(arg, "storedist") && search && (mode & kGeoSearchStore)) {
    q->store_dist = true;
  } else if (EqualsNoCase(arg, "frommember") && left >= 1 && search && !seen->from_lonlat) {
    if (locate != nullptr && !(*locate)(args[*i + 1], &q->shape.lon, &q->shape.lat)) {
      return Fail(error, errors::kGeoMemberNotFound);
    }
    seen->from_member = true;
    *i += 1;
  } else if (EqualsNoCase(arg, "fromlonlat") && left >= 2 && search && !seen->from_member) {
    if (!ParseLonLat(args[*i + 1], args[*i + 2], &q->shape.lon, &q->shape.lat, error)) {
      return false;
    }
    seen->from_lonlat = true;
    *i += 2;
  } else if (EqualsNoCase(arg, "byradius") && left >= 2 && search && !seen->by_box) {
    if (!ParseRadius(args, *i + 1, &q->shape, error)) return false;
    q->shape.kind = geo::Shape::Kind::kCircle;
    seen->by_radius = true;
    *i += 2;
  } else if (EqualsNoCase(arg, "bybox") && left >= 3 && search && !seen->by_radius) {
    if (!ParseBox(args, *i + 1, &q->shape, error)) return false;
    q->shape.kind = geo::Shape::Kind::kBox;
    seen->by_box = true;
    *i += 3;
  } else {
    return Fail(error, errors::kSyntax);
  }
  return true;
}

}  // namespace

bool ParseGeoUnit(std::string_view arg, double* to_meters) {
  if (EqualsNoCase(arg, "m")) {
    *to_meters = 1;
  } else if (EqualsNoCase(arg, "km")) {
    *to_meters = 1000;
  } else if (EqualsNoCase(arg, "ft")) {
    *to_meters = 0.3048;
  } else if (EqualsNoCase(arg, "mi")) {
    *to_meters = 1609.34;
  } else {
    return false;
  }
  return true;
}

bool ParseLonLat(std::string_view lon_arg, std::string_view lat_arg, double* lon, double* lat,
                 std::string* error) {
  if (!ParseDouble(lon_arg, lon) || !ParseDouble(lat_arg, lat)) {
    return Fail(error, errors::kNotFloat);
  }
  if (!geo::ValidLonLat(*lon, *lat)) {
    *error = fmt::format(fmt::runtime(errors::kGeoInvalidLonLatFmt), FormatPair(*lon, *lat));
    return false;
  }
  return true;
}

bool ParseGeoQuery(ArgList args, uint32_t mode, const GeoMemberLocator* locate, GeoQuery* out,
                   std::string* error) {
  GeoQuery q;
  size_t base = 0;  // index of the first option
  if (mode & kGeoByCoords) {
    base = 6;
    if (!ParseLonLat(args[2], args[3], &q.shape.lon, &q.shape.lat, error)) return false;
    if (!ParseRadius(args, 4, &q.shape, error)) return false;
  } else if (mode & kGeoByMember) {
    base = 5;
    if (locate != nullptr) {
      if (!(*locate)(args[2], &q.shape.lon, &q.shape.lat)) {
        return Fail(error, errors::kGeoMemberNotFound);
      }
      if (!ParseRadius(args, 3, &q.shape, error)) return false;
    }
  } else {
    base = 2;
    if (mode & kGeoSearchStore) {
      base = 3;
      q.store_index = 1;
    }
  }

  Seen seen;
  for (size_t i = base; i < args.size(); ++i) {
    if (!ParseOption(args, &i, mode, locate, &q, &seen, error)) return false;
  }

  if (q.store_index >= 0 && (q.with_dist || q.with_hash || q.with_coord)) {
    std::string_view what =
        (mode & kGeoSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    *error = fmt::format(fmt::runtime(errors::kGeoStoreWithOptionsFmt), what);
    return false;
  }
  if ((mode & kGeoSearch) && !(seen.from_member || seen.from_lonlat)) {
    *error = fmt::format(fmt::runtime(errors::kGeoNeedFromFmt), args[0]);
    return false;
  }
  if ((mode & kGeoSearch) && !(seen.by_radius || seen.by_box)) {
    *error = fmt::format(fmt::runtime(errors::kGeoNeedByFmt), args[0]);
    return false;
  }
  if (q.any && q.count == 0) return Fail(error, errors::kGeoAnyWithoutCount);
  *out = q;
  return true;
}

}  // namespace tessera::server
