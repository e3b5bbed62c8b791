// Rendering the compiled-in templates (templates.hpp).
#include "http/templates.hpp"

#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "http/html.hpp"
// Generated at build time from src/http/web/ (cmake/MaintdEmbed.cmake).
#include "http/web_files.hpp"

namespace maintd::http::templates {
namespace {

constexpr std::string_view kPrefix = "templates/";
constexpr std::string_view kSuffix = ".mustache";

// Every template by its name, read once; mstch's escaping set to ours before the first render.
const std::map<std::string, std::string>& all_templates() {
  static const std::map<std::string, std::string> templates = [] {
    mstch::config::escape = [](const std::string& text) { return html::escape(text); };
    std::map<std::string, std::string> out;
    for (const auto& file : web::embedded_files()) {
      if (!file.name.starts_with(kPrefix) || !file.name.ends_with(kSuffix)) continue;
      std::string_view name = file.name.substr(kPrefix.size());
      name.remove_suffix(kSuffix.size());
      std::string text(file.content);
      // An editor's final newline is not part of the markup: a partial used inside a line
      // (a badge, a cell) must not add a line break there.
      if (!text.empty() && text.back() == '\n') text.pop_back();
      out.emplace(std::string(name), std::move(text));
    }
    return out;
  }();
  return templates;
}

}  // namespace

std::string render(std::string_view name, const mstch::node& context) {
  const auto& templates = all_templates();
  const auto it = templates.find(std::string(name));
  if (it == templates.end()) {
    throw std::logic_error(fmt::format("no template '{}' is compiled in", name));
  }
  return mstch::render(it->second, context, templates);
}

std::string asset_href(std::string_view name) {
  const auto* file = web::find_embedded_file(name);
  if (file == nullptr) throw std::logic_error(fmt::format("no asset '{}' is compiled in", name));
  return fmt::format("/assets/{}?v={}", name, file->digest);
}

}  // namespace maintd::http::templates
