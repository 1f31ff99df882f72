#pragma once
// Test helpers for the control core's hooks: a punt handler and a frame_tx
// that record what reaches them.

#include "control/control.hpp"
#include "control/lacp_driver.hpp"

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace lag::test {

class recording_punt : public ctl::punt_handler {
public:
    void on_frame(uint16_t port, std::span<const uint8_t> frame, time_point) override {
        frames.push_back({port, std::vector<uint8_t>(frame.begin(), frame.end())});
    }
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> frames;
};

class recording_tx : public ctl::frame_tx {
public:
    bool send(uint16_t port, std::span<const uint8_t> frame) override {
        frames.push_back({port, std::vector<uint8_t>(frame.begin(), frame.end())});
        return true;
    }
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> frames;
};

} // namespace lag::test
