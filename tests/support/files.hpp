#pragma once
// Small helpers the tests of real processes share: reading what a child wrote, writing a file a
// running daemon may read at any moment, and waiting for something to become true.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace maintd::testing {

// The whole file, byte for byte; "" when it does not exist (yet). The one file reader of the
// tests (the golden texts, /proc, the PostgreSQL harness's pid files and logs).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes a file whole (temp file + rename), so a reader never sees half of it.
inline void write_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto temp = path.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << content;
  }
  std::filesystem::rename(temp, path);
}

// Polls `condition` every 50 ms until it holds or `limit` has passed; returns whether it held.
template <class Condition>
bool eventually(std::chrono::milliseconds limit, Condition&& condition) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace maintd::testing
