/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Every place where the suite's kill safety depends on how DPDK does a thing
// inside, rather than on what its API promises. DPDK may change any of them in
// any release, so this header builds only against the releases it was checked
// on; docs/internals.rst derives, per release, why each function is right.
//
//  - ring repair: a single producer or consumer moves its head, copies the
//    entries, then publishes them by moving its tail;
//  - mempool cache recovery: rte_mempool_do_generic_put's and
//    rte_mempool_do_generic_get's order of stores into a per-lcore cache
//    (cache->len, cache->objs[], the backend enqueue and dequeue), and which
//    entries of a cache a get or put that neither flushes nor refills leaves
//    alone;
//  - drivers' use of that cache: how many mbufs one RX or TX burst of net_null
//    takes from it or gives to it; when memif maps a port in a secondary;
//  - pool renewal: the mempool ring drivers keep their ring in pool_data;
//  - runtime files: the names a secondary process gives the files it leaves in
//    the runtime folder (its socket, its private memseg arrays);
//  - the memory hotplug lock: where it lies in the shared configuration, and
//    what a reader killed while holding it leaves in it;
//  - driver plugins: which files of the plugin folder rte_eal_init() loads;
//  - DPDK's sonames: "<library>.so.<major of the plugin folder's ABI>".

#include <rte_version.h>

// To add a release: re-read, in its sources, rte_mempool_do_generic_put,
// rte_mempool_do_generic_get and rte_mempool_cache_flush
// (lib/mempool/rte_mempool.h), net_null's burst functions
// (drivers/net/null/rte_eth_null.c), memif_link_update() and memif's bursts in
// a secondary (drivers/net/memif/rte_eth_memif.c), the single-thread head
// and tail updates of rte_ring (lib/ring/rte_ring_*_pvt.h), where the mempool
// ring drivers keep their ring (drivers/mempool/ring), and the names of
// the secondary's mp socket (lib/eal/common/eal_common_proc.c) and private
// fbarrays (lib/eal/linux/eal_memalloc.c), struct rte_mem_config
// (lib/eal/common/eal_memcfg.h) up to memory_hotplug_lock, rte_rwlock_t
// (lib/eal/include/generic/rte_rwlock.h), and is_shared_build(),
// eal_plugindir_init() and eal_dlopen() (lib/eal/common/eal_common_options.c);
// update docs/internals.rst; run the
// kill-point tests (meson test --suite internals); then add it here.
#define MP_DPDK_RELEASE_IS(year, month) (RTE_VER_YEAR == (year) && RTE_VER_MONTH == (month))
#if !(MP_DPDK_RELEASE_IS(22, 11) || MP_DPDK_RELEASE_IS(24, 11) || MP_DPDK_RELEASE_IS(25, 11))
#error "mp/dpdk_internals.hpp: this DPDK release was not verified (verified: 22.11, 24.11, 25.11). Re-verify the mempool cache put, get and flush order and net_null's cache use per burst (recovery of a dead process's cache), the rte_ring single producer/consumer head-tail order (ring repair) the EAL runtime file names (clean-up after a dead secondary) and the rte_mem_config head with the rwlock bits (start-up lock repair): see the comment above this line and docs/internals.rst"
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rte_eal.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_rwlock.h>
#include <rte_build_config.h>
#include <rte_spinlock.h>
#include <rte_version.h>

namespace mp::internals {

// ---- rte_ring ---------------------------------------------------------------

// Moves a single-thread head back to its tail, for the side (producer or
// consumer) of a ring whose only user was killed between the two updates.
// Returns how many entries lay between them; 0 (and nothing is touched) for a
// side that is not single-thread, whose head belongs to several processes.
inline unsigned rewind_head(rte_ring_headtail& side, uint32_t mask) noexcept
{
    if (side.sync_type != RTE_RING_SYNC_ST)
        return 0;
    const uint32_t head = side.head;
    const uint32_t tail = side.tail;
    if (head == tail)
        return 0;
    side.head = tail;
    return (head - tail) & mask;
}

inline bool single_producer(const rte_ring& ring) noexcept
{
    return ring.prod.sync_type == RTE_RING_SYNC_ST;
}
inline bool single_consumer(const rte_ring& ring) noexcept
{
    return ring.cons.sync_type == RTE_RING_SYNC_ST;
}

// ---- rte_mempool per-lcore cache ---------------------------------------------

// A put never leaves more than the flush threshold in a cache: more can only
// be seen in the middle of one.
inline bool cache_length_possible(const rte_mempool_cache& cache) noexcept
{
    return cache.len <= cache.flushthresh;
}

// Forgets what a cache holds without returning it to the pool.
inline void cache_forget(rte_mempool_cache& cache) noexcept
{
    cache.len = 0;
}

// The most objects a piece of code (a driver's burst, a free) takes from
// (`gets`) and gives to (`puts`) the per-lcore cache; `unbounded` when not
// known from the driver's sources.
struct CacheUse {
    unsigned gets = 0;
    unsigned puts = 0;
};
inline constexpr unsigned unbounded = UINT_MAX;
inline constexpr CacheUse unknown_cache_use{unbounded, unbounded};

// Whether `puts` more objects fit below the flush threshold: a put that fits
// appends, one that does not first hands objs[0 .. len) to the backend.
inline bool cache_has_room(const rte_mempool_cache& cache, unsigned puts) noexcept
{
    return puts <= cache.flushthresh && cache.len <= cache.flushthresh - puts;
}

// How many entries at the bottom of the cache, objs[0 .. K), code with `use`
// leaves alone, from start to end, whatever instant it stops at. A get served
// from the cache lowers len, then reads above it; a put that fits raises len
// and writes above the old len; neither writes below the lowest len reached,
// which is at least len - gets as long as no get empties the cache (one that
// does refills objs[] from index 0). A put that does not fit rewrites objs[]
// from index 0: 0 then.
inline unsigned cache_untouched_prefix(const rte_mempool_cache& cache, CacheUse use) noexcept
{
    if (!cache_has_room(cache, use.puts) || use.gets > cache.len)
        return 0;
    return cache.len - use.gets;
}

// Hands the top n entries, objs[len - n .. len), to the pool's backend, then
// drops them from the cache. Killed in between, the cache still counts them
// (some may be in the backend already): the caller's mark must say so.
inline void cache_put_back_top(rte_mempool* pool, rte_mempool_cache& cache, unsigned n) noexcept
{
    rte_mempool_ops_enqueue_bulk(pool, &cache.objs[cache.len - n], n);
    cache.len -= n;
}

// Keeps objs[0 .. k) of a dead owner's cache and forgets the rest.
inline void cache_keep_bottom(rte_mempool_cache& cache, unsigned k) noexcept
{
    cache.len = std::min(cache.len, static_cast<uint32_t>(k));
}

// ---- drivers' use of the per-lcore cache --------------------------------------

// What one RX burst of at most n packets does to the per-lcore cache of the
// queue's pool. net_null's RX (both modes) takes exactly the mbufs it returns
// with one rte_pktmbuf_alloc_bulk and frees nothing; its "no-rx" mode touches
// nothing. Other drivers refill descriptor rings in batches of their own
// (memif's zero-copy RX up to a ring's worth) or free on errors: unknown.
inline CacheUse rx_burst_cache_use(std::string_view driver, unsigned n) noexcept
{
    if (driver == "net_null")
        return {n, 0};
    return unknown_cache_use;
}

// What one TX burst of n packets of at most `segments` mbufs in all does to
// the cache, with the packets the queue refuses freed by the caller. net_null
// accepts every packet and frees it at once (rte_pktmbuf_free per packet in
// 22.11 and 24.11, rte_pktmbuf_free_bulk in 25.11): one put per segment,
// together with the caller's frees at most `segments`. Other drivers free the
// mbufs of earlier bursts as their descriptors complete: unknown.
inline CacheUse tx_burst_cache_use(std::string_view driver, unsigned segments) noexcept
{
    if (driver == "net_null")
        return {0, segments};
    return unknown_cache_use;
}

// Whether every packet a driver's RX returns is one direct mbuf: net_null's
// are (fresh mbufs from rte_pktmbuf_alloc_bulk, one each).
inline bool rx_packets_single_segment(std::string_view driver) noexcept
{
    return driver == "net_null";
}

// Whether a secondary process maps a port's shared memory (rings, packet
// buffers) only when it asks for the port's link state: memif does, in
// memif_link_update() (drivers/net/memif/rte_eth_memif.c); until then each of
// its RX and TX bursts in a secondary asks instead and returns 0, so a TX
// burst's packets are refused.
inline bool link_query_maps_port(std::string_view driver) noexcept
{
    return driver == "net_memif";
}

// ---- mempool ring drivers ------------------------------------------------------

// The ring of a pool whose driver is one of the mempool ring drivers
// ("ring_mp_mc", "ring_sp_sc", ...: drivers/mempool/ring keeps its rte_ring in
// pool_data); nullptr for any other driver. For a pool that nobody uses, the
// ring can then be emptied (rte_ring_reset) and refilled.
inline rte_ring* pool_ring(const rte_mempool& pool) noexcept
{
    const std::string_view driver = rte_mempool_get_ops(pool.ops_index)->name;
    return driver.starts_with("ring_") ? static_cast<rte_ring*>(pool.pool_data) : nullptr;
}

// ---- EAL runtime folder -----------------------------------------------------

// Whether `name` (a file in the runtime folder) belongs to secondary process
// `pid` alone: its request socket "mp_socket_<pid>_<tsc in hex>" or one of its
// private memseg arrays, "fbarray_<primary's array name>_<pid>" or, from the
// stable releases 23.11.7, 24.11.5 and 25.11.1 on (upstream "eal/linux: fix
// fbarray name collision in containers"), "..._<pid>_<tsc in hex>". Both array
// forms are accepted on every release: the point release a program runs on can
// be newer than the headers it was built with. A secondary removes these files
// in rte_eal_cleanup(); one killed leaves them behind.
inline bool is_secondary_runtime_file(std::string_view name, pid_t pid)
{
    const std::string id = "_" + std::to_string(pid);
    // "<id>_<hex digits>" at the start of `rest`, and nothing after.
    const auto id_then_tsc = [&id](std::string_view rest) {
        if (!rest.starts_with(id + "_") || rest.size() == id.size() + 1)
            return false;
        return rest.substr(id.size() + 1).find_first_not_of("0123456789abcdef") ==
               std::string_view::npos;
    };
    if (name.starts_with("mp_socket"))
        return id_then_tsc(name.substr(std::string_view("mp_socket").size()));
    if (!name.starts_with("fbarray_"))
        return false;
    if (name.ends_with(id))
        return true;
    const auto at = name.rfind(id + "_");
    return at != std::string_view::npos && id_then_tsc(name.substr(at));
}

// ---- DPDK's shared libraries ----------------------------------------------------

// The ABI version of the shared DPDK this process runs ("23.0": the plugin
// folder is ".../pmds-23.0", the EAL librte_eal.so.23.0), or "" with a static
// DPDK build, where no librte_eal.so.<ABI version> is loaded (EAL's
// is_shared_build() asks the same question).
inline std::string shared_dpdk_abi()
{
    constexpr std::string_view folder = RTE_EAL_PMD_PATH;
    constexpr std::string_view abi_prefix = "pmds-";
    const std::size_t abi_at = folder.rfind(abi_prefix);
    if (abi_at == std::string_view::npos)
        return {};
    std::string abi(folder.substr(abi_at + abi_prefix.size()));
    void* eal = dlopen(("librte_eal.so." + abi).c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (eal == nullptr)
        return {};
    dlclose(eal);
    return abi;
}

// Opens DPDK library `name` ("librte_pdump") of the shared DPDK this process
// runs, by its soname "<name>.so.<ABI major>". nullptr if it cannot be
// opened, and with a static DPDK, where it would bring a second EAL.
inline void* open_dpdk_library(std::string_view name)
{
    const std::string abi = shared_dpdk_abi();
    if (abi.empty())
        return nullptr;
    const std::string soname = std::string(name) + ".so." + abi.substr(0, abi.find('.'));
    return dlopen(soname.c_str(), RTLD_NOW);
}

// ---- EAL driver plugins ----------------------------------------------------------

// The real path of entry `name` of the folder open as `dir`, whose real path
// is `folder` (ending in '/'), links followed; "" unless that is a regular
// file. `type` is readdir()'s d_type. A link within the folder (Debian's
// "x.so" -> "x.so.<major>" -> "x.so.<ABI version>") costs a readlink and a
// stat per step, where realpath() reads every component of the path.
inline std::string regular_file_in(int dir, const std::string& folder, std::string name,
                                   unsigned char type)
{
    const auto resolved = [](const std::string& path) {
        const std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr),
                                                               &std::free);
        struct stat status {};
        return real != nullptr && stat(real.get(), &status) == 0 && S_ISREG(status.st_mode)
                   ? std::string(real.get())
                   : std::string();
    };
    for (int step = 0; step < 8; ++step) {
        struct stat status {};
        if (type == DT_UNKNOWN && fstatat(dir, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0)
            type = S_ISREG(status.st_mode) ? DT_REG : S_ISLNK(status.st_mode) ? DT_LNK : DT_DIR;
        if (type == DT_REG)
            return folder + name;
        if (type != DT_LNK)
            return {};
        char target[PATH_MAX];
        const ssize_t length = readlinkat(dir, name.c_str(), target, sizeof(target));
        if (length <= 0 || static_cast<std::size_t>(length) == sizeof(target))
            return {};
        name.assign(target, static_cast<std::size_t>(length));
        if (name.find('/') != std::string::npos)
            return resolved(name.starts_with('/') ? name : folder + name);
        type = DT_UNKNOWN;
    }
    return resolved(folder + name); // a long chain: realpath() follows it or finds the loop
}

// The driver plugins rte_eal_init() of a shared DPDK build loads from its
// plugin folder (RTE_EAL_PMD_PATH, ".../pmds-<ABI version>"): the files whose
// names end in ".so" or ".so.<ABI version>" and that are regular files (links
// followed), in folder order, which is the order their mempool drivers get
// their ops indexes (those of the primary's pools are in shared memory). Each
// file once, by its real path, at its first name: EAL opens each name by its
// real path too, and a dlopen() of a name already loaded only counts a
// reference, where another name of a loaded file opens the file again to
// compare it with every object loaded. None for a build with static DPDK (no
// librte_eal.so.<ABI version> loaded), as in EAL.
inline std::vector<std::string> driver_plugin_files()
{
    std::vector<std::string> files;
    const std::string abi = shared_dpdk_abi();
    if (abi.empty())
        return files;
    const std::unique_ptr<char, decltype(&std::free)> real_folder(
        realpath(RTE_EAL_PMD_PATH, nullptr), &std::free);
    DIR* dir = real_folder != nullptr ? opendir(real_folder.get()) : nullptr;
    if (dir == nullptr)
        return files;
    const std::string in_folder = std::string(real_folder.get()) + "/";
    const std::string versioned = ".so." + abi;
    std::set<std::string> found;
    while (const dirent* entry = readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (!name.ends_with(".so") && !name.ends_with(versioned))
            continue;
        std::string file = regular_file_in(dirfd(dir), in_folder, entry->d_name, entry->d_type);
        if (!file.empty() && found.insert(file).second)
            files.push_back(std::move(file));
    }
    closedir(dir);
    return files;
}

// Loads them as EAL does (dlopen, RTLD_NOW) and keeps them loaded, as EAL
// does: its own dlopen() of each then finds it loaded. A file that fails to
// load is left for EAL to report.
inline void load_driver_plugins()
{
    for (const std::string& file : driver_plugin_files())
        dlopen(file.c_str(), RTLD_NOW);
}

// ---- EAL shared configuration ------------------------------------------------

// The head of struct rte_mem_config, which is the start of the runtime folder's
// "config" file that every process of a --file-prefix maps. 24.11 added
// ethdev_lock before memory_hotplug_lock.
struct MemConfigHead {
    uint32_t magic; // RTE_MAGIC once the primary is initialised
    uint32_t version; // RTE_VERSION of the primary
    uint32_t nchannel;
    uint32_t nrank;
    rte_rwlock_t mlock;
    rte_rwlock_t qlock;
    rte_rwlock_t mplock;
    rte_spinlock_t tlock;
#if !MP_DPDK_RELEASE_IS(22, 11)
    rte_spinlock_t ethdev_lock;
#endif
    rte_rwlock_t memory_hotplug_lock;
};
static_assert(sizeof(rte_rwlock_t) == sizeof(int32_t) && sizeof(rte_spinlock_t) == sizeof(int));

// Whether `head` is a configuration this build may read: the primary finished
// its initialisation and runs the same DPDK version.
inline bool mem_config_usable(const MemConfigHead& head) noexcept
{
    return head.magic == RTE_MAGIC && head.version == RTE_VERSION;
}

// The lock word of an rte_rwlock_t: RTE_RWLOCK_READ per reader, plus the
// RTE_RWLOCK_WRITE bit for a writer, plus RTE_RWLOCK_WAIT while a writer waits
// for the readers to leave (readers do not enter while it is set).
inline std::atomic_ref<int32_t> rwlock_word(rte_rwlock_t& lock) noexcept
{
    return std::atomic_ref<int32_t>(lock.cnt);
}

// Removes from `word` what a holder that died left in it, if it still reads
// `left` (else returns false: someone alive changed it). A dead reader's
// RTE_RWLOCK_READ stays forever; a dead waiting writer's RTE_RWLOCK_WAIT too.
// Clearing WAIT is also safe for a writer that is alive and waiting: its loop
// sees no reader and takes the lock again.
inline bool release_dead_holders(std::atomic_ref<int32_t> word, int32_t left) noexcept
{
    return word.compare_exchange_strong(left, 0, std::memory_order_acq_rel);
}

} // namespace mp::internals
