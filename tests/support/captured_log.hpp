#pragma once
// spdlog's default logger replaced while a test looks at what was logged.
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace maintd::testing {

// What was logged through spdlog's default logger while it lives: "warning message" lines.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("captured", std::make_shared<Sink>(*this));
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (const auto& line : lines()) {
      if (line.starts_with("warning ")) out.push_back(line.substr(8));
    }
    return out;
  }
  std::string all() const {
    std::string out;
    for (const auto& line : lines()) out += line + "\n";
    return out;
  }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    explicit Sink(CapturedLog& log) : log_(log) {}

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      const auto level = spdlog::level::to_string_view(msg.level);
      std::lock_guard lock(log_.mutex_);
      log_.lines_.push_back(std::string(level.data(), level.size()) + " " +
                            std::string(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}

   private:
    CapturedLog& log_;
  };

  std::shared_ptr<spdlog::logger> previous_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace maintd::testing
