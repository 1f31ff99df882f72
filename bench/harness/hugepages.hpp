#pragma once
// 2 MB hugepages for dpdk-lag-bench: use them where root may reserve them,
// fall back to --no-huge where not, and leave the machine as it was found.
// Not for tests (tests never use hugepages).

#include <cstdint>
#include <string>

namespace lag::bench {

enum class huge_mode : uint8_t { automatic, required, off };

class hugepage_reservation {
public:
    // Makes `pages` free 2 MB hugepages available (raising nr_hugepages by
    // what is missing) and a hugetlbfs mount for them (mounting one on a
    // fresh directory if none is mounted). On any failure it undoes what it
    // did and active() is false; note() says why.
    static hugepage_reservation acquire(huge_mode mode, uint32_t pages);

    hugepage_reservation() = default;
    hugepage_reservation(const hugepage_reservation&) = delete;
    hugepage_reservation& operator=(const hugepage_reservation&) = delete;
    hugepage_reservation(hugepage_reservation&& o) noexcept;
    hugepage_reservation& operator=(hugepage_reservation&& o) noexcept;
    ~hugepage_reservation() { release(); }

    // Unmounts what it mounted and restores nr_hugepages. Idempotent. Call
    // after rte_eal_cleanup().
    void release() noexcept;

    bool active() const { return _active; }
    const std::string& dir() const { return _dir; }      // hugetlbfs mount
    const std::string& note() const { return _note; }    // for the report
    uint32_t added_pages() const { return _added; }      // raised by us
    bool mounted_by_us() const { return _mounted; }

private:
    bool _active = false;
    bool _mounted = false;
    uint32_t _added = 0;
    uint64_t _previous = 0;    // nr_hugepages before we raised it
    std::string _dir;
    std::string _note;
};

} // namespace lag::bench
