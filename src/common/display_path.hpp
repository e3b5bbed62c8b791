#pragma once
#include <filesystem>
#include <string>

namespace maintd {

// A path as it should appear in messages: relative to the working directory when below it,
// absolute otherwise.
std::string display_path(const std::filesystem::path& path);

}  // namespace maintd
