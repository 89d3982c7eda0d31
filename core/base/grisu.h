// Shortest-ish double to decimal digits, bit-for-bit as Redis 7.2 produces them.
//
// Redis 7.2 formats every double reply (ZSCORE, ZINCRBY, RESP3 doubles...) with a Grisu2
// implementation (deps/fpconv).  Grisu2 always round-trips but in ~0.2% of cases is not the
// shortest, e.g. it gives 0.033712399999999997 where std::to_chars gives 0.0337124, so a
// shortest-digits algorithm (Ryu, to_chars) would not match Redis byte for byte.  This is our
// own Grisu2 (Loitsch, "Printing Floating-Point Numbers Quickly and Accurately with
// Integers", 2010, section 5) with the parameter choices that decide its output pinned to
// Redis's: cached powers 10^-348..10^340 in steps of 8, scaled exponent in [-60, -32], the
// same starting guess for the cached power, and the same final-digit weeding.
//
// Internal to core/base: use FormatDouble() from numbers.h.
#pragma once

namespace tessera::grisu {

// Writes the significant digits of v (finite, > 0) as ASCII into digits (at least 18 bytes)
// and sets *exp10 so that v ~= digits * 10^*exp10.  Returns the number of digits.
int Grisu2Digits(double v, char* digits, int* exp10);

}  // namespace tessera::grisu
