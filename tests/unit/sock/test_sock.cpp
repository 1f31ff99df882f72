#include "sock/sock.hpp"

#include <atomic>
#include <cstring>
#include <fstream>
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace lag::sock {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const char* name) {
    auto dir = fs::temp_directory_path() / ("lag-sock-test-" + std::to_string(getpid()));
    fs::create_directories(dir);
    return (dir / name).string();
}

reply echo(std::string_view line) {
    if (line == "fail")
        return {1, "it failed\n"};
    return {0, "got " + std::string(line) + "\n"};
}

// Runs the server's poll loop on a thread until stopped.
struct running {
    server& s;
    std::atomic<bool> stop{false};
    std::thread t;
    explicit running(server& srv) : s(srv), t([this] {
        while (!stop)
            s.poll(echo), usleep(200);
    }) {}
    ~running() {
        stop = true;
        t.join();
    }
};

int raw_connect(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
}

TEST(sock_frame, round_trip_and_partial) {
    reply r{1, "body\nlines\n"};
    std::string f = frame(r);
    reply back;
    auto used = parse_frame(f, back);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, f.size());
    EXPECT_EQ(back.status, 1);
    EXPECT_EQ(back.body, r.body);
    EXPECT_EQ(*parse_frame(f.substr(0, f.size() - 1), back), 0u) << "incomplete body";
    EXPECT_EQ(*parse_frame("0 1", back), 0u) << "incomplete header";
    EXPECT_FALSE(parse_frame("x 1\nb", back));
    EXPECT_FALSE(parse_frame("7 1\nb", back));
    EXPECT_FALSE(parse_frame("0 1 2\nb", back));
}

TEST(sock_server, socket_is_private_and_answers) {
    auto path = temp_path("a.sock");
    auto s = server::listen(path);
    ASSERT_TRUE(s) << s.err().to_string();
    struct stat st{};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    running r(**s);
    auto ok = request(path, "show lag");
    ASSERT_TRUE(ok) << ok.err().to_string();
    EXPECT_EQ(ok->status, 0);
    EXPECT_EQ(ok->body, "got show lag\n");
    auto bad = request(path, "fail");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 1);
}

TEST(sock_server, second_server_on_live_socket_is_refused_stale_is_replaced) {
    auto path = temp_path("b.sock");
    {
        auto s = server::listen(path);
        ASSERT_TRUE(s);
        auto again = server::listen(path);
        ASSERT_FALSE(again);
        EXPECT_EQ(again.err().code, "socket-in-use");
        // A stale file (the daemon was killed) is taken over.
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    close(fd); // bound but never listening: stale
    auto s = server::listen(path);
    ASSERT_TRUE(s) << s.err().to_string();
    // A regular file in the way is not deleted.
    auto file = temp_path("c.sock");
    { std::ofstream(file) << "x"; }
    auto f = server::listen(file);
    ASSERT_FALSE(f);
    EXPECT_TRUE(fs::exists(file));
}

TEST(sock_server, many_concurrent_clients) {
    auto path = temp_path("d.sock");
    auto s = server::listen(path);
    ASSERT_TRUE(s);
    running r(**s);
    std::atomic<int> good{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                std::string cmd = "c" + std::to_string(t) + "-" + std::to_string(i);
                auto rep = request(path, cmd);
                if (rep && rep->body == "got " + cmd + "\n")
                    ++good;
            }
        });
    for (auto& t : ts)
        t.join();
    EXPECT_EQ(good.load(), 200);
}

TEST(sock_server, pipelined_lines_and_partial_line_of_a_vanished_client) {
    auto path = temp_path("e.sock");
    auto s = server::listen(path);
    ASSERT_TRUE(s);
    int fd = raw_connect(path);
    std::string two = "one\ntwo\nthree-without-newline";
    ASSERT_EQ(write(fd, two.data(), two.size()), static_cast<ssize_t>(two.size()));
    unsigned handled = 0;
    for (int i = 0; i < 50 && handled < 2; ++i)
        handled += (*s)->poll(echo), usleep(1000);
    EXPECT_EQ(handled, 2u);
    close(fd); // goes away mid-line: "three..." must never run
    for (int i = 0; i < 20; ++i)
        handled += (*s)->poll(echo), usleep(1000);
    EXPECT_EQ(handled, 2u);
    EXPECT_EQ((*s)->clients(), 0u);
}

TEST(sock_server, overlong_line_is_refused_and_client_dropped) {
    auto path = temp_path("f.sock");
    auto s = server::listen(path);
    ASSERT_TRUE(s);
    int fd = raw_connect(path);
    std::string big(max_line + 100, 'x');
    ASSERT_EQ(write(fd, big.data(), big.size()), static_cast<ssize_t>(big.size()));
    unsigned handled = 0;
    for (int i = 0; i < 50; ++i)
        handled += (*s)->poll(echo), usleep(1000);
    EXPECT_EQ(handled, 0u);
    char buf[256] = {};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    ASSERT_GT(n, 0);
    EXPECT_NE(std::string(buf).find("longer than"), std::string::npos);
    EXPECT_EQ((*s)->clients(), 0u);
    close(fd);
}

// Found by fuzz_sock_server: an overlong line whose newline came in the same
// read was handed to the handler.
TEST(sock_server, overlong_line_with_its_newline_is_refused_too) {
    auto path = temp_path("g.sock");
    auto s = server::listen(path);
    ASSERT_TRUE(s);
    int fd = raw_connect(path);
    std::string big(max_line + 100, 'x');
    big += "\nshow lag\n";
    ASSERT_EQ(write(fd, big.data(), big.size()), static_cast<ssize_t>(big.size()));
    unsigned handled = 0;
    for (int i = 0; i < 50; ++i)
        handled += (*s)->poll(echo), usleep(1000);
    EXPECT_EQ(handled, 0u) << "nothing after an overlong line runs, nor the line itself";
    char buf[256] = {};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    ASSERT_GT(n, 0);
    EXPECT_NE(std::string(buf).find("longer than"), std::string::npos);
    EXPECT_EQ((*s)->clients(), 0u);
    close(fd);
}

TEST(sock_request, no_daemon_is_a_clear_error) {
    auto r = request(temp_path("nobody.sock"), "show lag");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("is dpdk-lagd running"), std::string::npos);
}

} // namespace
} // namespace lag::sock
