#pragma once
// lib/sock: the control socket's transport (POSIX, no DPDK). A Unix stream
// socket, mode 0600, one command per line; each reply is framed as
//
//     <status> <length>\n<body of length bytes>
//
// status 0 for success, 1 for an error (the body says why). The server is
// polled from the control loop (no thread of its own): accept, read, hand
// complete lines to a handler, write replies without blocking. A client that
// disconnects midway, sends an overlong line or stops reading is dropped;
// nothing it sent half-way is executed.

#include "common/result.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lag::sock {

struct reply {
    int status = 0; // 0 ok, 1 error
    std::string body;
};

inline constexpr size_t max_line = 4096;
inline constexpr size_t max_clients = 64;

std::string frame(const reply& r);

class server {
public:
    using handler = std::function<reply(std::string_view line)>;

    // Creates the socket at `path` (and its directory, mode 0700, if
    // missing). A stale socket file is replaced; one a live server answers on
    // is an error ("socket-in-use").
    static result<std::unique_ptr<server>> listen(const std::string& path);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Serves whatever is ready, without blocking; returns commands handled.
    unsigned poll(const handler& h);
    size_t clients() const { return _clients.size(); }
    const std::string& path() const { return _path; }

private:
    struct client {
        int fd;
        std::string in;
        std::string out;
        bool closing = false;
    };
    server(int fd, std::string path) : _fd(fd), _path(std::move(path)) {}
    void drop(size_t i);

    int _fd;
    std::string _path;
    std::vector<client> _clients;
};

// One request: connects, sends `line`, waits up to timeout_ms for the reply.
result<reply> request(const std::string& path, std::string_view line, int timeout_ms = 5000);

// Parses a framed reply from a buffer; returns bytes consumed (0 if more are
// needed) or an error for a malformed header.
result<size_t> parse_frame(std::string_view buf, reply& out);

} // namespace lag::sock
