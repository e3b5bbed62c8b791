#pragma once
// The dashboard's templates (http/web/templates/*.mustache, compiled into maintd) rendered by
// mstch. Every {{value}} is HTML-escaped with html::escape (text and quoted attributes alike);
// no template uses the unescaped forms ({{{value}}}, {{&value}}), which
// tests/http/test_dashboard_view.cpp checks.
#include <mstch/mstch.hpp>
#include <string>
#include <string_view>

namespace maintd::http::templates {

// Renders templates/`name`.mustache with `context`. Every template is also a partial the others
// include by its name ({{> strip}}). Throws std::logic_error for an unknown name (a bug).
std::string render(std::string_view name, const mstch::node& context);

// "/assets/dashboard.css?v=<digest>": a compiled-in file's URL, changing with its content, so
// that a browser may keep it as long as it likes. Throws std::logic_error for an unknown name.
std::string asset_href(std::string_view name);

}  // namespace maintd::http::templates
