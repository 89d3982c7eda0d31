// jemalloc settings, read by jemalloc from this symbol when the process starts.
//
// Freed pages go back to the operating system at once instead of after jemalloc's default
// 10-second decay.  The hash tables grow by allocating a new slot array and freeing the old one
// once it is migrated; with the default decay those freed arrays stay resident for seconds,
// which showed as about 13 bytes per key of resident memory above used_memory at 1M keys
// (mem-compare: 157 vs 144 B/key for 100-byte strings).  The cost is an madvise() when a large
// block is freed; small-object slabs are returned only when wholly empty, so the command path
// is unaffected (bench/README.md has the figures measured with this setting).
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:0,muzzy_decay_ms:0";
}
