#pragma once
// A temporary file for the key-file tests (static keys and MKA's CAK):
// written with a given mode, removed after each test.

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

class temp_key_file : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/lagd-keys-XXXXXX";
        int fd = mkstemp(tmpl);
        ASSERT_GE(fd, 0);
        close(fd);
        path = tmpl;
    }
    void TearDown() override { std::remove(path.c_str()); }
    void write(const std::string& text, mode_t mode) {
        std::ofstream(path) << text;
        ASSERT_EQ(chmod(path.c_str(), mode), 0);
    }
    std::string path;
};
