#include "config/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace maintd::config {

std::string Location::to_string() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string Diagnostic::to_string() const {
  const std::string place = where.to_string();
  const char* kind = severity == Severity::warning ? "warning: " : "";
  if (place.empty()) return fmt::format("{}{}", kind, message);
  return fmt::format("{}: {}{}", place, kind, message);
}

void Diagnostics::error(Location where, std::string message) {
  all_.push_back({Diagnostic::Severity::error, std::move(where), std::move(message)});
}

void Diagnostics::warning(Location where, std::string message) {
  all_.push_back({Diagnostic::Severity::warning, std::move(where), std::move(message)});
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(all_.begin(), all_.end(), [](const auto& d) {
    return d.severity == Diagnostic::Severity::error;
  }));
}

namespace {
std::vector<Diagnostic> of_severity(const std::vector<Diagnostic>& all,
                                    Diagnostic::Severity severity) {
  std::vector<Diagnostic> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [&](const auto& d) { return d.severity == severity; });
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.where.file, a.where.line, a.where.column) <
           std::tie(b.where.file, b.where.line, b.where.column);
  });
  return out;
}
}  // namespace

std::vector<Diagnostic> Diagnostics::errors() const {
  return of_severity(all_, Diagnostic::Severity::error);
}

std::vector<Diagnostic> Diagnostics::warnings() const {
  return of_severity(all_, Diagnostic::Severity::warning);
}

void Diagnostics::append(const Diagnostics& other) {
  all_.insert(all_.end(), other.all_.begin(), other.all_.end());
}

}  // namespace maintd::config
