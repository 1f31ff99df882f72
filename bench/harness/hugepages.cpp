#include "hugepages.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>

namespace lag::bench {

namespace {

constexpr const char* sys_dir = "/sys/kernel/mm/hugepages/hugepages-2048kB";

bool read_u64(const std::string& path, uint64_t& out) {
    std::ifstream f(path);
    return static_cast<bool>(f >> out);
}

bool write_u64(const std::string& path, uint64_t v) {
    std::ofstream f(path);
    f << v << '\n';
    f.flush();
    return static_cast<bool>(f);
}

uint64_t default_huge_kb() {
    std::ifstream f("/proc/meminfo");
    std::string key;
    uint64_t v = 0;
    std::string unit;
    while (f >> key >> v) {
        std::getline(f, unit);
        if (key == "Hugepagesize:") return v;
    }
    return 0;
}

// A mounted hugetlbfs serving 2 MB pages, or "".
std::string find_mount() {
    std::ifstream f("/proc/mounts");
    std::string line;
    const bool default_2m = default_huge_kb() == 2048;
    while (std::getline(f, line)) {
        std::istringstream ls(line);
        std::string dev, dir, type, opts;
        if (!(ls >> dev >> dir >> type >> opts) || type != "hugetlbfs") continue;
        const auto ps = opts.find("pagesize=");
        if (ps == std::string::npos ? default_2m : opts.compare(ps + 9, 2, "2M") == 0)
            return dir;
    }
    return {};
}

} // namespace

hugepage_reservation::hugepage_reservation(hugepage_reservation&& o) noexcept {
    *this = std::move(o);
}

hugepage_reservation& hugepage_reservation::operator=(hugepage_reservation&& o) noexcept {
    if (this != &o) {
        release();
        _active = std::exchange(o._active, false);
        _mounted = std::exchange(o._mounted, false);
        _added = std::exchange(o._added, 0);
        _previous = o._previous;
        _dir = std::move(o._dir);
        _note = std::move(o._note);
    }
    return *this;
}

hugepage_reservation hugepage_reservation::acquire(huge_mode mode, uint32_t pages) {
    hugepage_reservation r;
    if (mode == huge_mode::off) {
        r._note = "--no-huge (hugepages turned off by --hugepages no)";
        return r;
    }
    if (geteuid() != 0) {
        r._note = "--no-huge (not root: cannot reserve hugepages)";
        return r;
    }
    const std::string nr_path = std::string(sys_dir) + "/nr_hugepages";
    const std::string free_path = std::string(sys_dir) + "/free_hugepages";
    uint64_t nr = 0, free_pages = 0;
    if (!read_u64(nr_path, nr) || !read_u64(free_path, free_pages)) {
        r._note = "--no-huge (this kernel has no 2 MB hugepages)";
        return r;
    }
    r._previous = nr;
    if (free_pages < pages) {
        const uint64_t want = nr + (pages - free_pages);
        if (!write_u64(nr_path, want)) {
            r._note = fmt::format("--no-huge (cannot write {}: {})", nr_path, std::strerror(errno));
            return r;
        }
        uint64_t now = 0;
        read_u64(nr_path, now);
        if (now > nr) r._added = static_cast<uint32_t>(now - nr);
        read_u64(free_path, free_pages);
        if (free_pages < pages) {
            r._note = fmt::format("--no-huge (asked the kernel for {} free 2 MB pages, got {})",
                                  pages, free_pages);
            r.release();
            return r;
        }
    }
    r._dir = find_mount();
    if (r._dir.empty()) {
        char tmpl[] = "/tmp/dpdk-lag-bench-huge.XXXXXX";
        if (mkdtemp(tmpl) == nullptr) {
            r._note = fmt::format("--no-huge (mkdtemp: {})", std::strerror(errno));
            r.release();
            return r;
        }
        r._dir = tmpl;
        if (mount("nodev", r._dir.c_str(), "hugetlbfs", 0, "pagesize=2M") != 0) {
            r._note = fmt::format("--no-huge (mount hugetlbfs on {}: {})", r._dir,
                                  std::strerror(errno));
            rmdir(r._dir.c_str());
            r._dir.clear();
            r.release();
            return r;
        }
        r._mounted = true;
    }
    r._active = true;
    r._note = fmt::format("2 MB hugepages ({} reserved by the harness, {} already there; "
                          "hugetlbfs at {}{})",
                          r._added, pages > r._added ? pages - r._added : 0, r._dir,
                          r._mounted ? ", mounted by the harness" : "");
    return r;
}

void hugepage_reservation::release() noexcept {
    if (_mounted) {
        if (umount(_dir.c_str()) == 0) rmdir(_dir.c_str());
        _mounted = false;
    }
    if (_added > 0) {
        write_u64(std::string(sys_dir) + "/nr_hugepages", _previous);
        _added = 0;
    }
    _active = false;
}

} // namespace lag::bench
