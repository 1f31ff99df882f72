#include "sock/sock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace lag::sock {

std::string frame(const reply& r) { return fmt::format("{} {}\n{}", r.status, r.body.size(), r.body); }

result<size_t> parse_frame(std::string_view buf, reply& out) {
    size_t nl = buf.find('\n');
    if (nl == std::string_view::npos)
        return buf.size() > 32 ? result<size_t>(make_error("frame", "reply header too long"))
                               : result<size_t>(size_t{0});
    // Exactly "<0|1> <decimal length>": nothing else is accepted.
    std::string_view head = buf.substr(0, nl);
    bool good = head.size() >= 3 && (head[0] == '0' || head[0] == '1') && head[1] == ' ' &&
                head.size() <= 2 + 9 && (head[2] != '0' || head.size() == 3);
    size_t len = 0;
    for (size_t i = 2; good && i < head.size(); ++i) {
        if (head[i] < '0' || head[i] > '9')
            good = false;
        else
            len = len * 10 + static_cast<size_t>(head[i] - '0');
    }
    if (!good)
        return make_error("frame", "malformed reply header '" + std::string(head) + "'");
    int status = head[0] - '0';
    if (buf.size() - nl - 1 < len)
        return size_t{0};
    out.status = status;
    out.body.assign(buf.substr(nl + 1, len));
    return nl + 1 + len;
}

namespace {

result<sockaddr_un> make_addr(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(a.sun_path))
        return make_error("socket-path", "socket path '" + path + "' is empty or too long");
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    return a;
}

} // namespace

result<std::unique_ptr<server>> server::listen(const std::string& path) {
    auto addr = make_addr(path);
    if (!addr)
        return addr.err();
    // The directory: create it private if missing.
    if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0) {
        std::string dir = path.substr(0, slash);
        struct stat st{};
        if (stat(dir.c_str(), &st) != 0 && mkdir(dir.c_str(), 0700) != 0)
            return make_error("socket-path",
                              fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
    }
    // A socket file that someone answers on belongs to a live daemon.
    struct stat st{};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return make_error("socket-in-use", path + " exists and is not a socket");
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 &&
                    connect(probe, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) == 0;
        if (probe >= 0)
            close(probe);
        if (live)
            return make_error("socket-in-use",
                              path + " is in use by a running daemon (is dpdk-lagd already running?)");
        unlink(path.c_str());
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return make_error("socket", fmt::format("socket: {}", std::strerror(errno)));
    // Created 0600 from the start: no window where others could connect.
    mode_t old = umask(0177);
    int rc = bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
    umask(old);
    if (rc != 0 || ::listen(fd, 16) != 0) {
        int e = errno;
        close(fd);
        return make_error("socket", fmt::format("bind/listen {}: {}", path, std::strerror(e)));
    }
    chmod(path.c_str(), 0600);
    return std::unique_ptr<server>(new server(fd, path));
}

server::~server() {
    for (auto& c : _clients)
        close(c.fd);
    if (_fd >= 0) {
        close(_fd);
        unlink(_path.c_str());
    }
}

void server::drop(size_t i) {
    close(_clients[i].fd);
    _clients.erase(_clients.begin() + static_cast<std::ptrdiff_t>(i));
}

unsigned server::poll(const handler& h) {
    unsigned handled = 0;
    for (;;) {
        int c = accept4(_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0)
            break;
        if (_clients.size() >= max_clients) {
            std::string busy = frame({1, "too many control clients\n"});
            (void)!write(c, busy.data(), busy.size());
            close(c);
            continue;
        }
        _clients.push_back(client{c, {}, {}});
    }
    for (size_t i = 0; i < _clients.size();) {
        auto& cl = _clients[i];
        bool dead = false;
        char buf[2048];
        for (;;) {
            ssize_t n = read(cl.fd, buf, sizeof buf);
            if (n > 0) {
                cl.in.append(buf, static_cast<size_t>(n));
                if (cl.in.size() > max_line + 1 && cl.in.find('\n') == std::string::npos) {
                    cl.out += frame({1, fmt::format("line longer than {} bytes\n", max_line)});
                    cl.in.clear();
                    cl.closing = true;
                    break;
                }
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                dead = true; // peer closed or failed: its partial line is dropped
            break;
        }
        size_t nl;
        while (!cl.closing && (nl = cl.in.find('\n')) != std::string::npos) {
            if (nl > max_line) { // a whole overlong line, its newline in the same read
                cl.out += frame({1, fmt::format("line longer than {} bytes\n", max_line)});
                cl.in.clear();
                cl.closing = true;
                break;
            }
            std::string line = cl.in.substr(0, nl);
            cl.in.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            cl.out += frame(h(line));
            ++handled;
        }
        while (!cl.out.empty()) {
            ssize_t n = send(cl.fd, cl.out.data(), cl.out.size(), MSG_NOSIGNAL);
            if (n > 0) {
                cl.out.erase(0, static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            dead = true;
            break;
        }
        if (cl.out.size() > (4u << 20))
            dead = true; // a client that does not read its replies
        if (dead || (cl.closing && cl.out.empty()))
            drop(i);
        else
            ++i;
    }
    return handled;
}

result<reply> request(const std::string& path, std::string_view line, int timeout_ms) {
    auto addr = make_addr(path);
    if (!addr)
        return addr.err();
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return make_error("socket", std::strerror(errno));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
        int e = errno;
        close(fd);
        return make_error("connect", fmt::format("cannot connect to {}: {} (is dpdk-lagd "
                                                 "running?)",
                                                 path, std::strerror(e)));
    }
    std::string msg(line);
    msg += '\n';
    if (send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size())) {
        close(fd);
        return make_error("send", std::strerror(errno));
    }
    std::string buf;
    reply r;
    for (;;) {
        auto used = parse_frame(buf, r);
        if (!used) {
            close(fd);
            return used.err();
        }
        if (*used > 0)
            break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) {
            close(fd);
            return make_error("timeout", "no reply from " + path);
        }
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n <= 0) {
            close(fd);
            return make_error("closed", "the daemon closed the connection");
        }
        buf.append(tmp, static_cast<size_t>(n));
    }
    close(fd);
    return r;
}

} // namespace lag::sock
