// jemalloc settings, read by jemalloc from this symbol when the process starts.
//
// Large blocks (16 KiB and up) go back to the operating system as soon as they are freed;
// small ones follow jemalloc's default 10-second decay, as in Redis.
//
// - Large blocks: `oversize_threshold` sends every allocation of at least 16 KiB (jemalloc's
//   smallest "large" size) to jemalloc's dedicated arena for big blocks, whose pages jemalloc
//   returns at once (it sets that arena's decay to 0).  These are the hash tables' slot arrays,
//   which grow by allocating a new array and freeing the old one once migrated, and the
//   connections' buffers, which the cron gives back when a client goes idle.  Kept resident,
//   the freed arrays showed as about 13 bytes per key above used_memory at 1M keys
//   (mem-compare: 157 vs 144 B/key for 100-byte strings), and the idle buffers as 16% more
//   memory per idle connection (bench/idle_conns.py: 0.84 -> 1.03 of Redis's).
// - Small blocks live in slabs shared by many objects of one size class.  Returning a slab
//   the moment it empties cost the command path: LPUSH to one long list reallocates its
//   8 KiB head node through the 5-8 KiB classes, emptying and refilling slabs all the time,
//   and made 2,700 madvise() calls and 2,700 more page faults per 300,000 requests, about 5%
//   of its CPU per request (bench/README.md, "The allocator's decay").  With the decay, freed
//   slabs are reused; jemalloc's background thread (jemalloc-bg-thread, on by default as in
//   Redis) returns them when they stay unused.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "oversize_threshold:16384,dirty_decay_ms:10000,muzzy_decay_ms:0";
}
