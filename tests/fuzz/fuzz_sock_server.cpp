// Fuzz target: the control socket's server side (lib/sock server::poll) with
// what any local client may send: arbitrary bytes, cut into writes, then a
// half close. Each complete line goes to a handler that parses it as the
// daemon does (lib/cli parse_line) and answers.
//
// Input: [cut: 1 octet][bytes]: the bytes are written in pieces of 1 + cut
// octets, the server polled between pieces.
// Properties: the handler sees only lines without '\n', of at most max_line
// octets; every reply the client reads is a whole frame; the client gets one
// reply per line handled, then the server drops it; nothing is left over.
#include "cli/cli.hpp"
#include "sock/sock.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

struct harness {
    std::string dir, path;
    std::unique_ptr<lag::sock::server> srv;
    harness() {
        char tmpl[] = "/tmp/fuzz_sock.XXXXXX";
        check(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        path = dir + "/ctl.sock";
        auto s = lag::sock::server::listen(path);
        check(s.ok());
        srv = std::move(*s);
    }
    ~harness() {
        srv.reset();
        rmdir(dir.c_str());
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static harness h;
    if (size == 0 || size > 32768)
        return 0;
    const size_t cut = 1 + data[0];
    ++data;
    --size;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    check(fd >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, h.path.c_str(), sizeof a.sun_path - 1);
    check(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);

    unsigned handled = 0;
    auto handler = [&](std::string_view line) -> lag::sock::reply {
        check(line.find('\n') == std::string_view::npos);
        check(line.size() <= lag::sock::max_line);
        auto r = lag::cli::parse_line(line);
        if (!r)
            return {1, r.err().message + "\n"};
        return {0, "ok\n"};
    };
    std::string got;
    char buf[4096];
    auto read_some = [&] {
        for (;;) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0)
                return n;
            got.append(buf, static_cast<size_t>(n));
        }
    };
    bool dropped = false; // the server closed on us (an overlong line)
    for (size_t at = 0; at < size && !dropped; at += cut) {
        const size_t n = std::min(cut, size - at);
        const ssize_t w = send(fd, data + at, n, MSG_NOSIGNAL);
        dropped = w < 0 && (errno == EPIPE || errno == ECONNRESET);
        check(dropped || w == static_cast<ssize_t>(n));
        handled += h.srv->poll(handler);
        (void)read_some();
    }
    if (shutdown(fd, SHUT_WR) != 0)
        check(errno == ENOTCONN || dropped);
    bool closed = false;
    for (int i = 0; i < 1000 && !closed; ++i) {
        handled += h.srv->poll(handler);
        closed = read_some() == 0;
    }
    close(fd);
    check(closed);
    check(h.srv->clients() == 0);
    // Whole frames, one per line handled (an overlong line's refusal is one
    // more, and no line after it is handled).
    size_t frames = 0;
    std::string_view rest(got);
    while (!rest.empty()) {
        lag::sock::reply r;
        auto used = lag::sock::parse_frame(rest, r);
        check(used.ok() && *used > 0 && *used <= rest.size());
        rest.remove_prefix(*used);
        ++frames;
    }
    check(frames == handled || frames == handled + 1);
    return 0;
}
