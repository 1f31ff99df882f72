// Key hygiene: a key file or CAK file read by dpdk-lagd leaves no copy of a
// key in freed heap (stream buffers, strings, map nodes, the read buffer).
// This binary replaces operator new/delete (malloc/free) and, while armed,
// scans every block it frees for the keys' hex text and bytes before it
// goes back to malloc. The scanner is shown to see a plain std::string
// first; then the loaders and lib/common's secrets must leave nothing.
// Not built under sanitizers (their allocators own new/delete there).
#include "config.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace {

// What the scanner looks for (set before arming), and what it found.
struct pattern {
    const void* p = nullptr;
    size_t n = 0;
};
pattern g_patterns[8];
size_t g_npatterns = 0;
bool g_armed = false;
size_t g_hits = 0;

void scan(void* p) noexcept {
    if (!g_armed || p == nullptr)
        return;
    const size_t n = malloc_usable_size(p);
    for (size_t i = 0; i < g_npatterns; ++i)
        if (memmem(p, n, g_patterns[i].p, g_patterns[i].n) != nullptr)
            ++g_hits;
}

void* alloc(size_t n) {
    if (void* p = std::malloc(n == 0 ? 1 : n))
        return p;
    throw std::bad_alloc();
}

} // namespace

void* operator new(size_t n) { return alloc(n); }
void* operator new[](size_t n) { return alloc(n); }
void operator delete(void* p) noexcept {
    scan(p);
    std::free(p);
}
void operator delete[](void* p) noexcept {
    scan(p);
    std::free(p);
}
void operator delete(void* p, size_t) noexcept {
    scan(p);
    std::free(p);
}
void operator delete[](void* p, size_t) noexcept {
    scan(p);
    std::free(p);
}

using namespace lag;
using namespace lag::lagd;

namespace {

// Two 32-byte keys and their hex, on the stack only (a std::string of the
// hex would itself be a freed copy).
struct keys_fixture : ::testing::Test {
    uint8_t k1[32], k2[32];
    char h1[65], h2[65];
    char path[64] = "/tmp/lagd-hygiene-XXXXXX";

    void SetUp() override {
        for (int i = 0; i < 32; ++i) {
            k1[i] = static_cast<uint8_t>(0x9C ^ (i * 37));
            k2[i] = static_cast<uint8_t>(0x3E ^ (i * 91));
        }
        hex(k1, h1);
        hex(k2, h2);
        const int fd = mkstemp(path);
        ASSERT_GE(fd, 0);
        ::close(fd);
        g_npatterns = 0;
        add(h1, 64);
        add(h2, 64);
        add(h1 + 24, 16); // a piece of the hex (a string cut at a line, a partial buffer)
        add(k1, 32);      // the bytes, once parsed
        add(k2, 32);
        g_hits = 0;
    }
    void TearDown() override {
        g_armed = false;
        ::unlink(path);
    }
    static void hex(const uint8_t* k, char* out) {
        static const char d[] = "0123456789abcdef";
        for (int i = 0; i < 32; ++i) {
            out[2 * i] = d[k[i] >> 4];
            out[2 * i + 1] = d[k[i] & 15];
        }
        out[64] = 0;
    }
    static void add(const void* p, size_t n) { g_patterns[g_npatterns++] = {p, n}; }
    // The file, written with write(2) from stack pieces.
    void write_file(std::initializer_list<std::pair<const char*, size_t>> parts) {
        const int fd = ::open(path, O_WRONLY | O_TRUNC);
        ASSERT_GE(fd, 0);
        for (auto [p, n] : parts)
            ASSERT_EQ(::write(fd, p, n), static_cast<ssize_t>(n));
        ::close(fd);
        ASSERT_EQ(::chmod(path, 0600), 0);
    }
};

} // namespace

TEST_F(keys_fixture, the_scanner_sees_a_key_left_in_a_freed_string) {
    g_armed = true;
    {
        std::string s(h1, 64);
        s += " and enough text to leave the small-string buffer behind";
    }
    g_armed = false;
    EXPECT_GE(g_hits, 1u);
}

TEST_F(keys_fixture, a_key_file_leaves_no_key_in_freed_heap) {
    // Many lines and comments: a stream or string would grow and copy.
    char pad[2048];
    std::memset(pad, '#', sizeof pad);
    pad[sizeof pad - 1] = '\n';
    write_file({{"# keys\n", 7}, {"m0-tx = ", 8}, {h1, 64}, {"\n", 1}, {pad, sizeof pad},
                {"m0-rx = \"", 9}, {h2, 64}, {"\"  # quoted\n", 12}});
    g_armed = true;
    {
        auto k = load_key_file(path);
        ASSERT_TRUE(k.ok()) << k.err().to_string();
        ASSERT_EQ(k->size(), 2u);
        EXPECT_TRUE(k->at("m0-tx").equals({k1, 32}));
        EXPECT_TRUE(k->at("m0-rx").equals({k2, 32}));
    }
    g_armed = false;
    EXPECT_EQ(g_hits, 0u) << "a freed block held a key";
}

TEST_F(keys_fixture, a_refused_key_file_leaves_no_key_in_freed_heap) {
    write_file({{"good = ", 7}, {h1, 64}, {"\nbad = ", 7}, {h2, 62}, {"\n", 1}});
    g_armed = true;
    {
        auto k = load_key_file(path);
        ASSERT_FALSE(k.ok());
        EXPECT_NE(k.err().message.find(":2:"), std::string::npos) << k.err().message;
    }
    g_armed = false;
    EXPECT_EQ(g_hits, 0u) << "a freed block held a key";
}

TEST_F(keys_fixture, a_cak_file_leaves_no_key_in_freed_heap) {
    char pad[1500];
    std::memset(pad, ' ', sizeof pad);
    // On one line, and split over two.
    write_file({{"# the CAK\n", 10}, {pad, sizeof pad}, {h1, 64}, {"  # end\n", 8}});
    g_armed = true;
    {
        auto c = load_cak_file(path);
        ASSERT_TRUE(c.ok()) << c.err().to_string();
        EXPECT_TRUE(c->equals({k1, 32}));
    }
    g_armed = false;
    write_file({{"# the CAK\n", 10}, {pad, sizeof pad}, {h1, 32}, {"\n", 1}, {h1 + 32, 32}, {"  # end\n", 8}});
    g_armed = true;
    {
        auto c = load_cak_file(path);
        ASSERT_TRUE(c.ok()) << c.err().to_string();
        EXPECT_TRUE(c->equals({k1, 32}));
    }
    g_armed = false;
    EXPECT_EQ(g_hits, 0u) << "a freed block held the CAK";
}

// lib/common's secrets wipe what they held before it is freed.
TEST_F(keys_fixture, secrets_are_wiped_before_their_storage_is_freed) {
    g_armed = true;
    {
        secret_buffer b(4096);
        std::memcpy(b.data() + 100, h1, 64);
        b.set_size(164);
        secret_buffer moved(std::move(b));
        secret_buffer other(16);
        other = std::move(moved);
    }
    {
        auto s = std::make_unique<secret<32>>(std::span<const uint8_t>(k2, 32));
        EXPECT_TRUE(s->equals({k2, 32}));
    }
    g_armed = false;
    EXPECT_EQ(g_hits, 0u) << "a secret's storage was freed unwiped";
}
