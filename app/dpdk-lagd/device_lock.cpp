#include "device_lock.hpp"

#include "config.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lag::lagd {

std::vector<std::string> device_resources(std::string_view device) {
    const auto comma = device.find(',');
    const std::string_view name = device.substr(0, comma);
    const bool vdev = name.starts_with("net_") || name.starts_with("crypto_") || name.starts_with("event_");
    if (!vdev)
        return {"pci-" + std::string(name)}; // a bus address: the device itself
    // Interface names are per network namespace: the lock name carries it.
    char ns[64] = {};
    const ssize_t n = ::readlink("/proc/self/ns/net", ns, sizeof ns - 1);
    const std::string net = n > 0 ? std::string(ns, static_cast<size_t>(n)) : "net";
    std::vector<std::string> out;
    for (size_t at = comma; at != std::string_view::npos && at < device.size();) {
        const size_t next = device.find(',', at + 1);
        const std::string_view arg = device.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
        for (std::string_view key : {"iface=", "rx_iface=", "rx_iface_in=", "tx_iface="})
            if (arg.starts_with(key)) {
                std::string r = "iface-" + net + "-" + std::string(arg.substr(key.size()));
                if (std::find(out.begin(), out.end(), r) == out.end())
                    out.push_back(std::move(r));
            }
        at = next;
    }
    return out;
}

device_locks::~device_locks() {
    for (int fd : _fds)
        ::close(fd);
}

result<device_locks> device_locks::take(const daemon_config& cfg, const std::string& dir) {
    device_locks locks;
    bool made = false;
    std::vector<std::pair<std::string, std::string>> wanted; // (resource, port), each resource once
    for (const auto& p : cfg.ports)
        for (auto& r : device_resources(p.device))
            if (std::none_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == r; }))
                wanted.emplace_back(std::move(r), p.name);
    for (const auto& [res, port] : wanted) {
        if (!made) {
            if (::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0700) != 0 && errno != EEXIST)
                return make_error("device-lock", dir + ": " + std::strerror(errno));
            if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
                return make_error("device-lock", dir + ": " + std::strerror(errno));
            made = true;
        }
        std::string file = res;
        for (char& ch : file)
            if (ch == '/' || ch == ':' || ch == '[' || ch == ']')
                ch = '_';
        const std::string path = dir + "/" + file + ".lock";
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return make_error("device-lock", path + ": " + std::strerror(errno));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int e = errno;
            ::close(fd);
            if (e == EWOULDBLOCK)
                return make_error("device-in-use", "port '" + port + "' (" + res +
                                                       ") is used by another dpdk-lagd (" + path + ")");
            return make_error("device-lock", path + ": " + std::strerror(e));
        }
        locks._fds.push_back(fd);
    }
    return locks;
}

} // namespace lag::lagd
