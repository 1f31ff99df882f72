#include "pn_state.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lag::lagd {

namespace {

result<void> sys_error(std::string_view what, const std::string& path, int e) {
    return make_error("pn-state", fmt::format("cannot {} {}: {}", what, path, std::strerror(e)));
}

} // namespace

result<std::optional<std::string>> pn_state_file::read() {
    const int fd = ::open(_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::optional<std::string>();
        return sys_error("read", _path, errno).err();
    }
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return sys_error("read", _path, e).err();
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return std::optional<std::string>(std::move(text));
}

result<void> pn_state_file::write(std::string_view text) {
    std::string dir = ".";
    if (const auto slash = _path.rfind('/'); slash != std::string::npos)
        dir = slash == 0 ? "/" : _path.substr(0, slash);
    const std::string tmp = _path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return sys_error("create", tmp, errno);
    auto fail = [&](std::string_view what) {
        const int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return sys_error(what, tmp, e);
    };
    size_t off = 0;
    while (off < text.size()) {
        const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail("write");
        off += static_cast<size_t>(n);
    }
    if (::fchmod(fd, 0600) != 0)
        return fail("chmod");
    if (::fsync(fd) != 0)
        return fail("sync");
    if (::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return sys_error("close", tmp, e);
    }
    if (::rename(tmp.c_str(), _path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return sys_error("replace", _path, e);
    }
    // The rename itself must be durable before a PN of the chunk is used.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return sys_error("open the folder of", _path, errno);
    const bool synced = ::fsync(dfd) == 0;
    const int e = errno;
    ::close(dfd);
    if (!synced)
        return sys_error("sync the folder of", _path, e);
    return ok_v;
}

} // namespace lag::lagd
